/**
 * Byte-level BPE of one pre-token: start from single symbols and repeatedly merge the adjacent pair with
 * the lowest merge rank (leftmost on ties), as llama.cpp's priority-queue loop does.
 */

interface Candidate { rank: number; left: number; right: number; text: string }

/** Binary min-heap on (rank, left). */
class CandidateHeap {
  private readonly items: Candidate[] = [];

  get size(): number { return this.items.length; }

  private less(a: Candidate, b: Candidate): boolean {
    return a.rank < b.rank || (a.rank === b.rank && a.left < b.left);
  }

  push(c: Candidate): void {
    const h = this.items;
    h.push(c);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  pop(): Candidate {
    const h = this.items;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

/** Merge ranks keyed "left right" (the merges list's own spelling), first occurrence wins. */
export type MergeRanks = ReadonlyMap<string, number>;

export function buildMergeRanks(merges: readonly string[]): Map<string, number> {
  const ranks = new Map<string, number>();
  for (let i = 0; i < merges.length; i++) {
    const m = merges[i];
    // llama.cpp splits at the first space after the first char; a line without one becomes ("", "")
    const sp = m.indexOf(" ", 1);
    const key = sp < 0 ? " " : m;
    if (!ranks.has(key)) ranks.set(key, i);
  }
  return ranks;
}

/** The merged symbols of a byte-level word (each char of `word` is one starting symbol). */
export function bpeMerge(word: string, ranks: MergeRanks): string[] {
  return bpeMergeSymbols(word.split(""), (l, r) => ranks.get(l + " " + r));
}

/**
 * BPE over starting symbols (their token texts): repeatedly merge the adjacent pair with the lowest rank,
 * the leftmost (by starting position) on equal ranks, until no adjacent pair has a rank. `rank(l, r)` is the
 * rank of merging `l` with `r`, or undefined when they do not merge.
 */
export function bpeMergeSymbols(symbols: readonly string[], rank: (left: string, right: string) => number | undefined): string[] {
  const n = symbols.length;
  if (n <= 1) return [...symbols];
  const text: string[] = [...symbols];
  const prev = new Int32Array(n);
  const next = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  const heap = new CandidateHeap();
  const consider = (left: number, right: number) => {
    if (left < 0 || right < 0) return;
    const r = rank(text[left], text[right]);
    if (r !== undefined) heap.push({ rank: r, left, right, text: text[left] + text[right] });
  };
  for (let i = 1; i < n; i++) consider(i - 1, i);

  while (heap.size > 0) {
    const c = heap.pop();
    const l = text[c.left], r = text[c.right];
    // stale: one side was merged away or has grown since this pair was queued
    if (l.length === 0 || r.length === 0 || l + r !== c.text) continue;
    text[c.left] = c.text;
    text[c.right] = "";
    next[c.left] = next[c.right];
    if (next[c.right] >= 0) prev[next[c.right]] = c.left;
    consider(prev[c.left], c.left);
    consider(c.left, next[c.left]);
  }
  const out: string[] = [];
  for (let i = 0; i !== -1; i = next[i]) out.push(text[i]);
  return out;
}
