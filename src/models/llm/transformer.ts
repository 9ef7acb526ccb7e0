import { UserError } from "../../errors.js";
import type { Backend } from "../../compute/backend.js";
import { rmsNorm, scaleInPlace } from "../../compute/elementwise.js";
import { ScratchArrays, attentionNorm, projectKeysValues, selfAttention, type AttentionChunk, type LayerContext } from "./attention.js";
import { feedForward } from "./feed-forward.js";
import type { ForwardHooks } from "./hooks.js";
import { LayerKvCache } from "./kv-cache.js";
import type { ForwardInput, ForwardOptions, ForwardResult, KvCache, LanguageModel, LlmConfig } from "./language-model.js";
import { RopeTableCache, ropeTableRows } from "./rope.js";
import { applyRowEdit, forChunks, layerState, type Rows } from "./rows.js";
import type { LlmWeights } from "./weights.js";

const DEFAULT_CHUNK = 256;

/**
 * A decoder-only transformer (llama / qwen2 / qwen3 / minicpm as llama.cpp runs them):
 * x = embed·embeddingScale; per layer x += attn(norm x); x += ffn(norm x); logits = W·norm(x) / logitScale.
 * The sequence goes layer by layer, each layer in chunks of rows, so hooks see all rows in flight.
 */
export class Transformer implements LanguageModel {
  private readonly ctx: LayerContext;

  constructor(
    readonly config: LlmConfig,
    private readonly weights: LlmWeights,
    private readonly backend: Backend,
    private readonly name: string,
    private readonly ownsBackend = false,
  ) {
    this.ctx = {
      backend,
      config,
      rope: { dim: config.ropeDim, style: config.ropeStyle, base: config.ropeTheta, freqScale: config.ropeFreqScale, freqFactors: weights.ropeFreqs },
      scratch: new ScratchArrays(),
    };
  }

  newCache(maxRows = this.config.contextLength): KvCache {
    if (!Number.isInteger(maxRows) || maxRows <= 0) throw new UserError("bad_argument", `cache size ${maxRows} should be a positive integer`);
    const b = this.backend;
    const mem = b.allocF32 && b.freeF32 ? { alloc: b.allocF32.bind(b), free: b.freeF32.bind(b) } : undefined;
    return new LayerKvCache(this.config.nLayers, this.config.nKVHeads * this.config.headDim, maxRows, mem);
  }

  embedTokens(ids: ArrayLike<number>): Float32Array {
    const { nVocab } = this.config;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!(Number.isInteger(id) && id >= 0 && id < nVocab)) {
        throw new UserError("bad_argument", `token id ${id} (at index ${i}) is out of range: ${this.name} has ${nVocab} tokens (0..${nVocab - 1})`);
      }
    }
    return this.backend.getRows(this.weights.tokenEmbd, ids);
  }

  forward(input: ForwardInput, cacheArg: KvCache, options: ForwardOptions = {}): ForwardResult {
    const cache = this.ownCache(cacheArg);
    const c = this.config;
    const chunk = options.chunkSize ?? DEFAULT_CHUNK;
    if (!Number.isInteger(chunk) || chunk <= 0) throw new UserError("bad_argument", `chunk size ${chunk} should be a positive integer`);
    const hooks = options.hooks ?? {};

    const input0 = this.inputRows(input);
    const positions = this.positionsFor(input0.n, cache, options.positions);
    let maxUsed = 0;
    for (let l = 0; l < c.nLayers; l++) maxUsed = Math.max(maxUsed, cache.length(l));
    if (maxUsed + input0.n > cache.maxRows) {
      throw new UserError("too_large", `the key/value cache holds at most ${cache.maxRows} rows per layer; ${maxUsed} are used and ${input0.n} more were fed`);
    }
    for (let i = 0; i < input0.n; i++) cache.nextPosition = Math.max(cache.nextPosition, positions[i] + 1);

    let rows: Rows = { hidden: input0.hidden, n: input0.n, positions };
    rows = applyRowEdit(rows, c.nEmbd, hooks.beforeLayers?.(layerState(-1, rows)), "beforeLayers");
    const ropeTables = new RopeTableCache(this.ctx.rope);
    for (let l = 0; l < c.nLayers; l++) {
      this.attentionLayer(l, rows, cache, chunk, hooks, ropeTables);
      rows = applyRowEdit(rows, c.nEmbd, hooks.afterAttention?.(layerState(l, rows)), `afterAttention(${l})`);
      const w = this.weights.layers[l];
      const r = rows;
      forChunks(r.n, chunk, (s, m) => feedForward(this.ctx, w, this.chunkOf(r, s, m)));
      rows = applyRowEdit(rows, c.nEmbd, hooks.afterLayer?.(layerState(l, rows)), `afterLayer(${l})`);
    }
    return this.output(rows, options.logits ?? "last");
  }

  /** Weights live in the backend: they are freed when the backend is (here if the model owns it). */
  async dispose(): Promise<void> {
    if (this.ownsBackend) await this.backend.dispose();
  }

  /**
   * One layer's attention for all rows in flight: first every chunk's keys/values into the cache, then
   * every chunk's queries; both from one attention norm of the rows and one RoPE table of their positions.
   */
  private attentionLayer(l: number, rows: Rows, cache: LayerKvCache, chunk: number, hooks: ForwardHooks, ropeTables: RopeTableCache): void {
    const w = this.weights.layers[l];
    const width = cache.width;
    const e = this.config.nEmbd;
    const xn = attentionNorm(this.ctx, w, rows.hidden, rows.n);
    const angles = ropeTables.of(rows.positions);
    const chunkAt = (s: number, m: number): AttentionChunk =>
      ({ ...this.chunkOf(rows, s, m), xn: xn.subarray(s * e, (s + m) * e), angles: ropeTableRows(this.ctx.rope, angles, s, m) });
    const slot = cache.append(l, rows.n, rows.positions);
    forChunks(rows.n, chunk, (s, m) =>
      projectKeysValues(this.ctx, w, chunkAt(s, m), slot.k.subarray(s * width, (s + m) * width), slot.v.subarray(s * width, (s + m) * width)));
    const kv = { k: cache.keys(l), v: cache.values(l), positions: cache.positions(l), n: cache.length(l) };
    const wants = hooks.attention !== undefined && (hooks.wantsAttention ? hooks.wantsAttention(l) : true);
    forChunks(rows.n, chunk, (s, m) => {
      const part = chunkAt(s, m);
      selfAttention(this.ctx, w, part, kv, wants
        ? (probs, kvPositions) => hooks.attention!(l, probs, m, kv.n, { qStart: s, qPositions: part.positions, kvPositions })
        : undefined);
    });
  }

  private chunkOf(rows: Rows, start: number, n: number) {
    const e = this.config.nEmbd;
    return { x: rows.hidden.subarray(start * e, (start + n) * e), n, positions: rows.positions.subarray(start, start + n) };
  }

  private output(rows: Rows, which: "none" | "last" | "all"): ForwardResult {
    if (which === "none") return {};
    const e = this.config.nEmbd;
    const from = which === "last" ? Math.max(0, rows.n - 1) : 0;
    const n = rows.n - from;
    const hidden = rmsNorm(rows.hidden.subarray(from * e, rows.n * e), n, e, this.weights.outputNorm, this.config.rmsEps, new Float32Array(n * e));
    const logits = n > 0 ? this.backend.matmul(this.weights.output, hidden, n) : new Float32Array(0);
    if (this.config.logitScale !== 1) scaleInPlace(logits, Math.fround(1 / this.config.logitScale));
    return { logits, hidden, positions: rows.positions.slice(from) };
  }

  /** Input rows `[n, nEmbd]` multiplied by the embedding scale (llama.cpp scales image rows too). */
  private inputRows(input: ForwardInput): { hidden: Float32Array; n: number } {
    const e = this.config.nEmbd;
    let hidden: Float32Array;
    let n: number;
    if (input.kind === "tokens") {
      n = input.ids.length;
      hidden = this.embedTokens(input.ids);
    } else {
      n = input.n;
      if (!Number.isInteger(n) || n < 0 || input.rows.length < n * e) {
        throw new UserError("bad_argument", `embedding input: ${input.rows.length} values do not hold ${n} rows of ${e}`);
      }
      hidden = input.rows.slice(0, n * e);
    }
    if (this.config.embeddingScale !== 1) scaleInPlace(hidden, this.config.embeddingScale);
    return { hidden, n };
  }

  private positionsFor(n: number, cache: LayerKvCache, explicit?: Int32Array): Int32Array {
    if (!explicit) return Int32Array.from({ length: n }, (_, i) => cache.nextPosition + i);
    if (explicit.length !== n) throw new UserError("bad_argument", `${explicit.length} positions given for ${n} rows`);
    for (let i = 0; i < n; i++) {
      if (explicit[i] < 0) throw new UserError("bad_argument", `position ${explicit[i]} (row ${i}) is negative`);
    }
    return explicit.slice();
  }

  private ownCache(cache: KvCache): LayerKvCache {
    if (!(cache instanceof LayerKvCache) || cache.nLayers !== this.config.nLayers || cache.width !== this.config.nKVHeads * this.config.headDim) {
      throw new Error("forward: the cache was not created by this model's newCache()");
    }
    return cache;
  }
}
