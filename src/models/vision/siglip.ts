/**
 * The NaViT SigLIP vision tower: patch embedding + learned position rows, pre-LN transformer blocks
 * with tanh-GELU MLPs, a final LayerNorm. Several crops run as one sequence set: every row-wise product
 * covers all crops at once, attention stays inside each crop (as the authors' padded, key-masked batch).
 */
import type { Backend } from "../../compute/backend.js";
import { addInPlace, geluTanhInPlace, layerNorm } from "../../compute/elementwise.js";
import type { VisionConfig } from "./config.js";
import { geluGgmlInPlace, roundToHalfInPlace } from "./ggml-numerics.js";
import { patchRows } from "./patches.js";
import { positionIds, positionIds1d } from "./position-ids.js";
import type { Linear, Norm, VisionWeights, VitBlockWeights } from "./weights.js";

/** A normalised crop: float32 CHW pixels `[3, height, width]`, sides multiples of the patch size. */
export interface VisionCrop {
  readonly pixels: Float32Array;
  readonly height: number;
  readonly width: number;
}

/**
 * - `reference`: the authors' float32 model (position buckets as their float32 bucketize).
 * - `llamacpp`: llama.cpp's CPU numerics (f16 pixels into the patch product, f16 GELU table,
 *   floor position buckets), for comparisons with llama.cpp within ~1e-5.
 */
export type VisionNumerics = "reference" | "llamacpp";

export interface TowerOptions {
  readonly numerics?: VisionNumerics;
  /**
   * The authors' MiniCPM-Llama3-V 2.5 code path (`minicpmv_version` 2): it calls the tower without
   * `tgt_sizes` and sets the whole mask row, so every crop is zero-padded to the longest crop of the call,
   * padded patches take part in attention, and the position ids are a 1-D bucket over that length.
   * The output of a crop then depends on the other crops of the call, exactly as in the authors' run.
   */
  readonly v25Quirk?: boolean;
  /** Rows per MLP chunk (bounds the `[rows, ffn]` scratch); default 1024. */
  readonly chunkRows?: number;
  /** Most rows of one sequence set: crops beyond it run in a further set (same results); default 4096. */
  readonly maxRows?: number;
}

/** A crop's place in the sequence set. */
interface Segment {
  readonly start: number;
  /** Rows of this crop in the set (its patches, or the padded length in the V2.5 path). */
  readonly rows: number;
  /** Patches that belong to the crop (the first `valid` rows). */
  readonly valid: number;
}

function linear(backend: Backend, l: Linear, x: Float32Array, n: number): Float32Array {
  return backend.matmul(l.w, x, n, l.b);
}

function norm(x: Float32Array, n: number, width: number, nw: Norm, eps: number): Float32Array {
  return layerNorm(x, n, width, nw.w, nw.b, eps, new Float32Array(x.length));
}

export function checkCrop(c: VisionConfig, crop: VisionCrop, index: number): void {
  const p = c.patchSize;
  const { height, width, pixels } = crop;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < p || width < p || height % p || width % p) {
    throw new RangeError(`crop ${index}: size ${width}x${height} is not a positive multiple of the patch size ${p}`);
  }
  if (pixels.length !== 3 * height * width) {
    throw new RangeError(`crop ${index}: ${pixels.length} pixel values for a ${width}x${height} RGB crop (expected ${3 * height * width})`);
  }
}

/** Patch embeddings plus position rows for every crop, as one `[N, W]` sequence set. */
function embed(w: VisionWeights, c: VisionConfig, backend: Backend, crops: readonly VisionCrop[], segs: readonly Segment[], opts: TowerOptions): Float32Array {
  const p = c.patchSize;
  const cols = 3 * p * p;
  const total = segs.reduce((s, g) => s + g.rows, 0);
  const patches = new Float32Array(total * cols); // padded rows stay zero pixels
  const ids = new Int32Array(total);
  const side = c.positionsPerSide;
  crops.forEach((crop, i) => {
    const { start, rows } = segs[i];
    patchRows(crop.pixels, crop.height, crop.width, p, patches.subarray(start * cols, (start + rows) * cols));
    const pos = opts.v25Quirk
      ? positionIds1d(rows, side)
      : positionIds(crop.height / p, crop.width / p, opts.numerics === "llamacpp" ? "llamacpp" : "authors", side);
    ids.set(pos, start);
  });
  if (opts.numerics === "llamacpp") roundToHalfInPlace(patches);
  const x = linear(backend, w.patch, patches, total);
  return addInPlace(x, backend.getRows(w.positions, ids));
}

function selfAttention(b: VitBlockWeights, c: VisionConfig, backend: Backend, h: Float32Array, n: number, segs: readonly Segment[]): Float32Array {
  const W = c.hidden;
  const q = linear(backend, b.q, h, n);
  const k = linear(backend, b.k, h, n);
  const v = linear(backend, b.v, h, n);
  const o = new Float32Array(n * W);
  const headDim = W / c.heads;
  for (const { start, rows } of segs) {
    const part = (a: Float32Array) => a.subarray(start * W, (start + rows) * W);
    backend.attention({
      q: part(q), k: part(k), v: part(v), out: part(o),
      nQ: rows, nKV: rows, nHeads: c.heads, nKVHeads: c.heads, headDim, scale: 1 / Math.sqrt(headDim),
    });
  }
  return linear(backend, b.out, o, n);
}

function mlp(b: VitBlockWeights, c: VisionConfig, backend: Backend, h: Float32Array, n: number, opts: TowerOptions): Float32Array {
  const W = c.hidden;
  const out = new Float32Array(n * W);
  const chunk = opts.chunkRows ?? 1024;
  const llamacpp = opts.numerics === "llamacpp";
  const gelu = llamacpp ? geluGgmlInPlace : geluTanhInPlace;
  const up = new Float32Array(Math.min(chunk, n) * c.ffn);
  for (let r = 0; r < n; r += chunk) {
    const m = Math.min(chunk, n - r);
    const x = h.subarray(r * W, (r + m) * W);
    // the backend's fused product + GELU when it has one (llama.cpp's f16-table GELU stays in JS)
    if (backend.matmulGelu && !llamacpp) backend.matmulGelu(b.fc1.w, x, m, b.fc1.b, up);
    else gelu(backend.matmul(b.fc1.w, x, m, b.fc1.b, up).subarray(0, m * c.ffn));
    backend.matmul(b.fc2.w, up.subarray(0, m * c.ffn), m, b.fc2.b, out.subarray(r * W, (r + m) * W));
  }
  return out;
}

/** x += attn(LN1 x); x += fc2(gelu(fc1(LN2 x))) */
function block(b: VitBlockWeights, c: VisionConfig, backend: Backend, x: Float32Array, n: number, segs: readonly Segment[], opts: TowerOptions): void {
  addInPlace(x, selfAttention(b, c, backend, norm(x, n, c.hidden, b.ln1, c.eps), n, segs));
  addInPlace(x, mlp(b, c, backend, norm(x, n, c.hidden, b.ln2, c.eps), n, opts));
}

/** Lays out crops as sequence sets of at most `maxRows` rows (a longer crop gets a set of its own). */
function sequenceSets(counts: readonly number[], padded: number, opts: TowerOptions): { crops: number[]; segs: Segment[]; rows: number }[] {
  const maxRows = opts.maxRows ?? 4096;
  const sets: { crops: number[]; segs: Segment[]; rows: number }[] = [];
  counts.forEach((valid, i) => {
    const rows = opts.v25Quirk ? padded : valid;
    let set = sets[sets.length - 1];
    if (!set || (set.rows > 0 && set.rows + rows > maxRows)) sets.push((set = { crops: [], segs: [], rows: 0 }));
    set.crops.push(i);
    set.segs.push({ start: set.rows, rows, valid });
    set.rows += rows;
  });
  return sets;
}

/** Runs the tower over crops; returns each crop's last hidden state `[patches, W]` (raster order). */
export function siglipForward(w: VisionWeights, c: VisionConfig, backend: Backend, crops: readonly VisionCrop[], opts: TowerOptions = {}): Float32Array[] {
  crops.forEach((crop, i) => checkCrop(c, crop, i));
  const p = c.patchSize;
  const counts = crops.map((crop) => (crop.height / p) * (crop.width / p));
  // the V2.5 path pads every crop of the call to the longest one, whichever set it runs in
  const padded = Math.max(0, ...counts);
  const out: Float32Array[] = new Array(crops.length);
  for (const set of sequenceSets(counts, padded, opts)) {
    const x = embed(w, c, backend, set.crops.map((i) => crops[i]), set.segs, opts);
    for (const b of w.blocks) block(b, c, backend, x, set.rows, set.segs, opts);
    layerNorm(x, set.rows, c.hidden, w.postLn.w, w.postLn.b, c.eps);
    set.segs.forEach(({ start, valid }, k) => { out[set.crops[k]] = x.slice(start * c.hidden, (start + valid) * c.hidden); });
  }
  return out;
}
