/**
 * A prompt as the runtime feeds it: runs of token ids and runs of embedding rows (image or video
 * features, already projected to the LLM width). `key` identifies embedding runs so a chat session can
 * recognise rows it has already fed (e.g. an image from an earlier turn) and reuse its KV cache.
 */
export type PromptSegment =
  | { readonly kind: "tokens"; readonly ids: readonly number[] }
  | { readonly kind: "embeddings"; readonly rows: Float32Array; readonly n: number; readonly key: string };

/** One identity per row, for prefix matching against what a cache already holds. */
export function rowKeys(segments: readonly PromptSegment[]): (number | string)[] {
  const keys: (number | string)[] = [];
  for (const s of segments) {
    if (s.kind === "tokens") keys.push(...s.ids);
    else for (let i = 0; i < s.n; i++) keys.push(`${s.key}#${i}`);
  }
  return keys;
}

export function promptLength(segments: readonly PromptSegment[]): number {
  let n = 0;
  for (const s of segments) n += s.kind === "tokens" ? s.ids.length : s.n;
  return n;
}

/** The segments from row `from` on (splitting the segment that straddles it). */
export function sliceSegments(segments: readonly PromptSegment[], from: number): PromptSegment[] {
  const out: PromptSegment[] = [];
  let at = 0;
  for (const s of segments) {
    const len = s.kind === "tokens" ? s.ids.length : s.n;
    if (at + len <= from) { at += len; continue; }
    const skip = Math.max(0, from - at);
    if (skip === 0) out.push(s);
    else if (s.kind === "tokens") out.push({ kind: "tokens", ids: s.ids.slice(skip) });
    else {
      const width = s.rows.length / s.n;
      out.push({ kind: "embeddings", rows: s.rows.subarray(skip * width), n: s.n - skip, key: `${s.key}@${skip}` });
    }
    at += len;
  }
  return out;
}
