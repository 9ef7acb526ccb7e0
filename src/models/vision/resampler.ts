/**
 * The perceiver resampler: Q learned queries cross-attend once to a crop's patches.
 *
 *   x = LN_kv(kv(vis));  q = LN_q(query);  K = x + pos2d(h, w) [+ temporal(t)];  V = x
 *   o = MHA(q, K, V)   (in_proj split q|k|v with biases, out_proj with bias, heads of 128)
 *   y = LN_post(o) · projᵀ
 *
 * A group of frames (V4.5's 3-D resampler for video) concatenates its frames' keys and values for one
 * attention with the same queries, each frame's keys carrying its temporal code: a group yields Q rows.
 * A plain image is a group of one without a temporal code (identical to the 2-D resampler).
 */
import type { Backend } from "../../compute/backend.js";
import { addInPlace, layerNorm } from "../../compute/elementwise.js";
import { RESAMPLER_HEAD_DIM, type VisionConfig } from "./config.js";
import { SinCos2d, SinCosTemporal } from "./sincos.js";
import type { Linear, Norm, ResamplerWeights } from "./weights.js";

/** One crop's tower output `[h·w, W]` and its patch grid. */
export interface CropFeatures {
  readonly hidden: Float32Array;
  /** Patch rows and columns. */
  readonly h: number;
  readonly w: number;
  /** V4.5 video: the frame's time in 0.1 s steps; -1 or absent = none (an image). */
  readonly temporalId?: number;
}

export interface ResamplerOptions {
  /** Also return the cross-attention probabilities (mean over heads). */
  readonly crossAttention?: boolean;
}

export interface ResamplerOutput {
  /** Per group `[Q, outDim]`. */
  readonly embeddings: Float32Array[];
  /** Per group `[Q, keys]` (keys = the group's patches, frame after frame), when asked. */
  readonly crossAttention?: Float32Array[];
}

/** The authors build the resampler norms with eps 1e-6, whatever the tower uses. */
const RESAMPLER_EPS = 1e-6;

function linear(backend: Backend, l: Linear, x: Float32Array, n: number): Float32Array {
  return backend.matmul(l.w, x, n, l.b);
}

function norm(x: Float32Array, n: number, width: number, nw: Norm, eps: number): Float32Array {
  return layerNorm(x, n, width, nw.w, nw.b, eps);
}

export class Resampler {
  private readonly pos2d: SinCos2d;
  private readonly temporal: SinCosTemporal;
  private queries?: Float32Array;

  constructor(
    private readonly w: ResamplerWeights,
    private readonly c: VisionConfig,
    private readonly backend: Backend,
  ) {
    this.pos2d = new SinCos2d(c.embedDim);
    this.temporal = new SinCosTemporal(c.embedDim);
  }

  /** The projected queries q·W_qᵀ + b (constant: computed once). */
  private projectedQueries(): Float32Array {
    if (!this.queries) {
      const { w, c } = this;
      const q = norm(w.query.slice(), c.queryNum, c.embedDim, w.lnQ, RESAMPLER_EPS);
      this.queries = linear(this.backend, w.q, q, c.queryNum);
    }
    return this.queries;
  }

  /** Keys and values of one frame: x = LN_kv(kv(vis)), K = x + pos2d (+ temporal). */
  private frameKeys(f: CropFeatures): { k: Float32Array; v: Float32Array } {
    const { w, c } = this;
    const n = f.h * f.w;
    if (f.hidden.length !== n * c.hidden) {
      throw new RangeError(`resampler input of ${f.hidden.length} values for ${f.h}x${f.w} patches of width ${c.hidden}`);
    }
    const v = norm(linear(this.backend, w.kv, f.hidden, n), n, c.embedDim, w.lnKv, RESAMPLER_EPS);
    const k = v.slice();
    this.pos2d.addTo(k, f.h, f.w);
    const t = f.temporalId ?? -1;
    if (t >= 0) {
      const code = this.temporal.code(t);
      for (let r = 0; r < n; r++) addInPlace(k.subarray(r * c.embedDim, (r + 1) * c.embedDim), code);
    }
    return { k, v };
  }

  /** One group of frames (an image: a group of one) → `[Q, outDim]` and optionally `[Q, keys]` probabilities. */
  group(frames: readonly CropFeatures[], wantProbs = false): { embedding: Float32Array; probs?: Float32Array } {
    const { w, c, backend } = this;
    const D = c.embedDim;
    const Q = c.queryNum;
    const parts = frames.map((f) => this.frameKeys(f));
    const nKV = parts.reduce((s, p) => s + p.v.length / D, 0);
    const kIn = new Float32Array(nKV * D);
    const vIn = new Float32Array(nKV * D);
    let o = 0;
    for (const p of parts) {
      kIn.set(p.k, o);
      vIn.set(p.v, o);
      o += p.v.length;
    }
    const K = linear(backend, w.k, kIn, nKV);
    const V = linear(backend, w.v, vIn, nKV);
    const heads = c.resamplerHeads;
    const probs = wantProbs ? new Float32Array(heads * Q * nKV) : undefined;
    const attn = backend.attention({
      q: this.projectedQueries(), k: K, v: V, nQ: Q, nKV, nHeads: heads, nKVHeads: heads,
      headDim: RESAMPLER_HEAD_DIM, scale: 1 / Math.sqrt(RESAMPLER_HEAD_DIM), probs,
    });
    const y = norm(linear(backend, w.out, attn, Q), Q, D, w.lnPost, RESAMPLER_EPS);
    return { embedding: linear(backend, w.proj, y, Q), probs: probs && meanOverHeads(probs, heads, Q * nKV) };
  }

  /** Several groups; `groups[g]` lists the frames of group g. */
  run(groups: readonly (readonly CropFeatures[])[], opts: ResamplerOptions = {}): ResamplerOutput {
    const embeddings: Float32Array[] = [];
    const crossAttention: Float32Array[] = [];
    for (const g of groups) {
      const r = this.group(g, opts.crossAttention);
      embeddings.push(r.embedding);
      if (r.probs) crossAttention.push(r.probs);
    }
    return opts.crossAttention ? { embeddings, crossAttention } : { embeddings };
  }
}

function meanOverHeads(probs: Float32Array, heads: number, size: number): Float32Array {
  const out = new Float32Array(size);
  for (let h = 0; h < heads; h++) for (let i = 0; i < size; i++) out[i] += probs[h * size + i];
  for (let i = 0; i < size; i++) out[i] /= heads;
  return out;
}
