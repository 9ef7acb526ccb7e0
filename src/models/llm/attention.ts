import type { Backend } from "../../compute/backend.js";
import { addInPlace, rmsNorm } from "../../compute/elementwise.js";
import type { LlmConfig } from "./language-model.js";
import { applyRope, type Rope, type RopeAngles } from "./rope.js";
import type { LayerWeights } from "./weights.js";

/** The model-wide pieces a layer function needs besides its own weights. */
export interface LayerContext {
  readonly backend: Backend;
  readonly config: LlmConfig;
  readonly rope: Rope;
  /** Reused work arrays (see ScratchArrays); without it every call allocates. */
  readonly scratch?: ScratchArrays;
}

/**
 * Work arrays by name, reused from call to call: a prefill makes tens of MB of intermediates per
 * layer, and garbage arrays waiting for the collector would count in the process's peak memory.
 * An array is valid until the next request of the same name.
 */
export class ScratchArrays {
  private readonly arrays = new Map<string, Float32Array>();

  get(name: string, length: number): Float32Array {
    let a = this.arrays.get(name);
    if (!a || a.length < length) {
      a = new Float32Array(length);
      this.arrays.set(name, a);
    }
    return a.length === length ? a : a.subarray(0, length);
  }
}

/** A work array from ctx.scratch, or a new one. */
export function work(ctx: LayerContext, name: string, length: number): Float32Array {
  return ctx.scratch ? ctx.scratch.get(name, length) : new Float32Array(length);
}

/** Rows of one chunk: `n` rows of the residual stream (a view) at `positions`. */
export interface Chunk {
  readonly x: Float32Array;
  readonly n: number;
  readonly positions: Int32Array;
}

/**
 * A chunk on its way through attention, with what its keys/values and its queries share, prepared once
 * for all rows in flight (see attentionNorm): its rows after the attention RMSNorm and its RoPE angles.
 */
export interface AttentionChunk extends Chunk {
  /** attn_norm(x) `[n, nEmbd]`. */
  readonly xn: Float32Array;
  /** ropeTable of `positions`. */
  readonly angles: RopeAngles;
}

/**
 * The attention RMSNorm of `n` rows, in the "xn" work array (the feed-forward reuses it after the
 * attention). Every chunk's keys/values are computed before any chunk's queries, and no row changes
 * in between, so one norm serves both.
 */
export function attentionNorm(ctx: LayerContext, w: LayerWeights, x: Float32Array, n: number): Float32Array {
  return rmsNorm(x, n, ctx.config.nEmbd, w.attnNorm, ctx.config.rmsEps, work(ctx, "xn", x.length));
}

/** Per-head RMSNorm (qwen3's q_norm / k_norm): heads are contiguous rows of headDim values. */
function normHeads(ctx: LayerContext, x: Float32Array, n: number, nHeads: number, weight: Float32Array | undefined): void {
  if (weight) rmsNorm(x, n * nHeads, ctx.config.headDim, weight, ctx.config.rmsEps);
}

/**
 * Keys and values of a chunk: k = RoPE(knorm(Wk·xn + bk)), v = Wv·xn + bv (xn = norm(x)),
 * written into `k` and `v` (the cache rows reserved for the chunk).
 */
export function projectKeysValues(ctx: LayerContext, w: LayerWeights, c: AttentionChunk, k: Float32Array, v: Float32Array): void {
  const { backend, config } = ctx;
  backend.matmul(w.wk, c.xn, c.n, w.bk, k);
  normHeads(ctx, k, c.n, config.nKVHeads, w.kNorm);
  applyRope(ctx.rope, k, c.n, config.nKVHeads * config.headDim, config.nKVHeads, config.headDim, c.positions, c.angles);
  backend.matmul(w.wv, c.xn, c.n, w.bv, v);
}

/** The layer's cache rows every query of the chunk attends to (masked causally by position). */
export interface KeyValueRows {
  readonly k: Float32Array;
  readonly v: Float32Array;
  readonly positions: Int32Array;
  readonly n: number;
}

/**
 * Self-attention of a chunk over the cache, added to the residual stream in place:
 * x += residualScale · Wo·softmax(q·kᵀ·scale)·v, with q = RoPE(qnorm(Wq·xn + bq)).
 * `onProbs` receives the probabilities `[nHeads, n, kv.n]` when given.
 */
export function selfAttention(
  ctx: LayerContext,
  w: LayerWeights,
  c: AttentionChunk,
  kv: KeyValueRows,
  onProbs?: (probs: Float32Array, kvPositions: Int32Array) => void,
): void {
  const { backend, config } = ctx;
  const { nHeads, nKVHeads, headDim } = config;
  const q = backend.matmul(w.wq, c.xn, c.n, w.bq, work(ctx, "q", c.n * w.wq.rows));
  normHeads(ctx, q, c.n, nHeads, w.qNorm);
  applyRope(ctx.rope, q, c.n, nHeads * headDim, nHeads, headDim, c.positions, c.angles);
  const probs = onProbs ? new Float32Array(nHeads * c.n * kv.n) : undefined;
  const heads = backend.attention({
    q, k: kv.k, v: kv.v, nQ: c.n, nKV: kv.n, nHeads, nKVHeads, headDim,
    scale: config.attentionScale, qPos: c.positions, kPos: kv.positions, probs, out: work(ctx, "heads", c.n * nHeads * headDim),
  });
  if (probs && onProbs) onProbs(probs, kv.positions);
  const out = backend.matmul(w.wo, heads, c.n, w.bo, work(ctx, "out", c.n * w.wo.rows));
  addInPlace(c.x, out, config.residualScale);
}
