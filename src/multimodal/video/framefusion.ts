/**
 * FrameFusion (Fu et al., thu-nics/FrameFusion): fewer video rows inside the LLM, during prefill.
 *
 * Rows of a video share a "patch type": their offset inside their frame's block of rows. Before layer 0
 * and after each layer's attention, a row whose hidden state is close (cosine ≥ `similarity`) to the
 * previous frame's row of the same type merges into it: a run of such rows and the earlier row they
 * follow become their plain mean. Merging stops once a round merges less than `ratioLowerBound` of the
 * video rows. In the next layer the rows the last prompt row attends to least are pruned, so that the
 * video rows cost `cost` of their full compute over all layers. Kept rows keep their positions; later
 * layers neither compute nor cache the dropped ones. Decoding is untouched.
 */
import { UserError } from "../../errors.js";
import type { AttentionSlice, ForwardHooks, LayerState, RowEdit } from "../../models/llm/hooks.js";

export interface FrameFusionOptions {
  /** Share of the video rows' LLM compute to keep, over all layers (default 0.3). */
  readonly cost?: number;
  /** Cosine similarity from which a row merges into the previous frame's (default 0.7, the authors' MiniCPM-V setting). */
  readonly similarity?: number;
  /** Merging ends after a round that merges less than this share of the video rows (default 0.1). */
  readonly ratioLowerBound?: number;
}

/** Where the frames are, in rows of the prompt: patch types cover `rows` rows from `firstRow`, repeating every `rowsPerFrame`. */
export interface FrameSpan {
  readonly firstRow: number;
  readonly rowsPerFrame: number;
  readonly rows: number;
}

/**
 * The span of a prompt's one video from where its frame groups landed (`ChatPromptLayout.videoRows`):
 * the groups must be evenly spaced; as the authors' integration, the patch types run to two rows past
 * the last group (its closing tokens).
 */
export function frameSpanOf(groups: readonly { video: number; start: number; n: number }[], promptRows: number): FrameSpan {
  if (groups.length < 2 || groups.some((g) => g.video !== groups[0].video)) {
    const videos = new Set(groups.map((g) => g.video)).size;
    throw new UserError("bad_argument", `FrameFusion needs one video with at least two frame groups in the prompt; this one has ${groups.length} group(s)${videos > 1 ? ` from ${videos} videos` : ""}`);
  }
  const step = groups[1].start - groups[0].start;
  if (groups.some((g, i) => g.start !== groups[0].start + i * step)) {
    throw new UserError("bad_argument", "FrameFusion needs the video's frame groups evenly spaced in the prompt (no images or text between them)");
  }
  const last = groups[groups.length - 1];
  return { firstRow: groups[0].start, rowsPerFrame: step, rows: Math.min(promptRows, last.start + last.n + 2) - groups[0].start };
}

/**
 * The share of video rows to drop in the next layer so that, after the drops already made (one share
 * per layer so far), the video rows cost `cost` of their full compute over `nLayers` layers (0 when the
 * budget already allows them all).
 */
export function pruningRatio(sparsities: readonly number[], cost: number, nLayers: number): number {
  let kept = 1;
  let spent = 0;
  for (const s of sparsities) {
    kept *= 1 - s;
    spent += kept;
  }
  const remaining = nLayers * cost - spent;
  if (remaining < 0) throw new RangeError(`FrameFusion: a cost of ${cost} is already spent after ${sparsities.length} layers`);
  const share = remaining / ((nLayers - sparsities.length) * kept);
  return share > 1 ? 0 : 1 - share;
}

const TEXT = -1;
const IGNORE = -2;

/** Python's round(): half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The hooks of one prefill. `firstPosition` is the position of prompt row 0 (the cache's next position
 * before the prompt). Read `sparsities`, `merged` and `pruned` afterwards to see what happened.
 */
export class FrameFusion implements ForwardHooks {
  readonly sparsities: number[] = [];
  mergingDone = false;
  pruningDone = false;
  /** Rows removed by merging and by pruning. */
  merged = 0;
  pruned = 0;
  private readonly cost: number;
  private readonly similarity: number;
  private readonly ratioLowerBound: number;
  private rowsInFlight = 0;
  /** Attention of the last row in flight to each position (mean over heads), for pruning. */
  private importance: Map<number, number> | null = null;

  constructor(
    /** The rows it works over (the video's frame groups, the tokens between them and the two after). */
    readonly span: FrameSpan,
    private readonly nLayers: number,
    private readonly firstPosition: number,
    opts: FrameFusionOptions = {},
  ) {
    this.cost = opts.cost ?? 0.3;
    this.similarity = opts.similarity ?? 0.7;
    this.ratioLowerBound = opts.ratioLowerBound ?? 0.1;
    if (!(this.cost > 0 && this.cost <= 1)) throw new RangeError(`FrameFusion cost must be in (0, 1], got ${this.cost}`);
    if (!(span.rowsPerFrame > 0 && span.rows > 0 && span.firstRow >= 0)) throw new RangeError(`FrameFusion: bad frame span ${JSON.stringify(span)}`);
  }

  private patchType(position: number): number {
    const r = position - this.firstPosition - this.span.firstRow;
    return r >= 0 && r < this.span.rows ? r % this.span.rowsPerFrame : TEXT;
  }

  beforeLayers(state: LayerState): RowEdit | void {
    this.rowsInFlight = state.n;
    if (state.n > 1 && !this.mergingDone) return this.merge(state);
  }

  wantsAttention(): boolean {
    return this.mergingDone && !this.pruningDone;
  }

  attention(_layer: number, probs: Float32Array, nQ: number, nKV: number, at: AttentionSlice): void {
    if (!this.wantsAttention() || at.qStart + nQ !== this.rowsInFlight) return;
    const heads = probs.length / (nQ * nKV);
    const imp = new Map<number, number>();
    for (let j = 0; j < nKV; j++) {
      let s = 0;
      for (let h = 0; h < heads; h++) s += probs[(h * nQ + nQ - 1) * nKV + j];
      imp.set(at.kvPositions[j], s / heads);
    }
    this.importance = imp;
  }

  afterAttention(state: LayerState): RowEdit | void {
    if (state.n <= 1) return;
    this.rowsInFlight = state.n;
    if (this.mergingDone && !this.pruningDone) {
      const edit = this.prune(state);
      this.rowsInFlight = edit.keep.length;
      return edit;
    }
    if (!this.mergingDone) {
      const edit = this.merge(state);
      if (edit) this.rowsInFlight = edit.keep.length;
      return edit;
    }
  }

  /** One merging round over the rows in flight. */
  private merge(state: LayerState): RowEdit | void {
    const { n, hidden, positions } = state;
    const d = hidden.length / n;
    const types = Array.from(positions, (p) => this.patchType(p));
    // rows ordered by patch type, then by sequence order
    const order: number[] = [];
    let maxType = -1;
    for (const t of types) maxType = Math.max(maxType, t);
    for (let p = 0; p <= maxType; p++) for (let i = 0; i < n; i++) if (types[i] === p) order.push(i);
    const frameRows = order.length;
    if (frameRows === 0) { this.mergingDone = this.pruningDone = true; return; }
    const sim = new Float64Array(order.length).fill(IGNORE);
    for (let k = 1; k < order.length; k++) {
      if (types[order[k]] === types[order[k - 1]]) sim[k] = cosine(hidden, order[k - 1] * d, order[k] * d, d);
    }
    const upper = pruningRatio(this.sparsities, this.cost, this.nLayers);
    let marked: number[] = [];
    for (let k = 0; k < order.length; k++) if (sim[k] >= this.similarity) marked.push(k);
    const ratio = marked.length / frameRows;
    if (ratio < upper) {
      this.sparsities.push(ratio);
      if (ratio < this.ratioLowerBound) this.mergingDone = true;
    } else {
      // merging alone reaches the budget: the most similar rows, and no pruning
      const byScore = Array.from(order.keys()).sort((a, b) => sim[b] - sim[a] || a - b);
      marked = byScore.slice(0, Math.trunc(upper * frameRows)).sort((a, b) => a - b);
      this.mergingDone = this.pruningDone = true;
    }
    if (marked.length === 0) return;

    const out = hidden.slice();
    const drop = new Uint8Array(n);
    const isMarked = new Uint8Array(order.length);
    for (const k of marked) isMarked[k] = 1;
    for (let k = 0; k < order.length;) {
      if (!isMarked[k] || k === 0) { k++; continue; }
      // a run of marked rows merges into the row just before it (in patch order): the plain mean
      const anchor = order[k - 1];
      let end = k;
      while (end < order.length && isMarked[end]) end++;
      const acc = new Float64Array(d);
      for (let j = 0; j < d; j++) acc[j] = hidden[anchor * d + j];
      for (let m = k; m < end; m++) {
        const row = order[m];
        drop[row] = 1;
        for (let j = 0; j < d; j++) acc[j] += hidden[row * d + j];
      }
      for (let j = 0; j < d; j++) out[anchor * d + j] = acc[j] / (end - k + 1);
      k = end;
    }
    return this.keepRows(out, drop, d, "merged");
  }

  /** Drops the video rows the last prompt row attends to least, down to this layer's budget. */
  private prune(state: LayerState): RowEdit {
    this.pruningDone = true;
    const { n, positions } = state;
    const inSpan: number[] = [];
    for (let i = 0; i < n; i++) if (this.patchType(positions[i]) !== TEXT) inSpan.push(i);
    const keepN = roundHalfEven(inSpan.length * (1 - pruningRatio(this.sparsities, this.cost, this.nLayers)));
    const imp = this.importance;
    if (!imp) throw new Error("FrameFusion: no attention for pruning (wantsAttention was not honoured)");
    const ranked = [...inSpan].sort((a, b) => (imp.get(positions[b]) ?? 0) - (imp.get(positions[a]) ?? 0) || a - b);
    const drop = new Uint8Array(n);
    for (const i of ranked.slice(keepN)) drop[i] = 1;
    this.importance = null;
    return this.keepRows(null, drop, 0, "pruned");
  }

  private keepRows(hidden: Float32Array | null, drop: Uint8Array, d: number, what: "merged" | "pruned"): RowEdit {
    const keep: number[] = [];
    for (let i = 0; i < drop.length; i++) if (!drop[i]) keep.push(i);
    this[what] += drop.length - keep.length;
    if (!hidden) return { keep: Int32Array.from(keep) };
    const rows = new Float32Array(keep.length * d);
    keep.forEach((i, r) => rows.set(hidden.subarray(i * d, (i + 1) * d), r * d));
    return { keep: Int32Array.from(keep), hidden: rows };
  }
}

function cosine(h: Float32Array, a: number, b: number, d: number): number {
  let dot = 0, na = 0, nb = 0;
  for (let j = 0; j < d; j++) {
    dot += h[a + j] * h[b + j];
    na += h[a + j] * h[a + j];
    nb += h[b + j] * h[b + j];
  }
  return dot / (Math.sqrt(na) * Math.sqrt(nb));
}
