/**
 * What the runtime (generation, chat sessions) and the multimodal layer need from a language model.
 * Implemented per architecture family in this folder; consumed by src/runtime and src/multimodal.
 */
import type { ForwardHooks } from "./hooks.js";

export type LlmArch = "llama" | "qwen2" | "qwen3" | "minicpm";

/**
 * How RoPE pairs the values of a head (llama.cpp's rope types): "norm" rotates consecutive pairs
 * (2i, 2i+1) (llama, minicpm); "neox" rotates (i, i + ropeDim/2) (qwen2, qwen3).
 */
export type RopeStyle = "norm" | "neox";

export interface LlmConfig {
  readonly arch: LlmArch;
  readonly nVocab: number;
  readonly nEmbd: number;
  readonly nLayers: number;
  readonly nHeads: number;
  readonly nKVHeads: number;
  readonly headDim: number;
  readonly nFF: number;
  readonly contextLength: number;
  /** RoPE frequency base (`rope.freq_base`). */
  readonly ropeTheta: number;
  /** Leading values of each head that RoPE rotates (`rope.dimension_count`, default headDim). */
  readonly ropeDim: number;
  readonly ropeStyle: RopeStyle;
  /** Linear position scaling: positions are multiplied by this (1 / `rope.scaling.factor`; 1 = none). */
  readonly ropeFreqScale: number;
  readonly rmsEps: number;
  /** Multiplies q·k before the softmax: 1/sqrt(headDim). */
  readonly attentionScale: number;
  /** minicpm: input embeddings (text and image rows alike) are multiplied by this; 1 elsewhere. */
  readonly embeddingScale: number;
  /** minicpm: residual branches are multiplied by this; 1 elsewhere. */
  readonly residualScale: number;
  /** minicpm: logits are divided by this; 1 elsewhere. */
  readonly logitScale: number;
}

/** The sequence fed to one forward call: token ids, or rows of input embeddings (before any scaling). */
export type ForwardInput =
  | { readonly kind: "tokens"; readonly ids: ArrayLike<number> }
  | { readonly kind: "embeddings"; readonly rows: Float32Array; readonly n: number };

export interface ForwardOptions {
  /**
   * Which rows' logits to return: none, only the last row, or every row. Default "last". Rows are
   * those still in flight after the last layer (hooks may have dropped some; see `positions`).
   */
  readonly logits?: "none" | "last" | "all";
  /** Observe / edit the sequence between layers (attention probabilities, hidden states, row sets). */
  readonly hooks?: ForwardHooks;
  /** Positions of the rows; default: continue after the cache's last position. */
  readonly positions?: Int32Array;
  /**
   * Rows per internal chunk (bounds scratch memory); default 256. The sequence goes through the model
   * layer by layer, each layer in chunks, so hooks always see every row in flight; results do not
   * depend on the chunk size.
   */
  readonly chunkSize?: number;
}

export interface ForwardResult {
  /** [nRowsReturned, nVocab], already divided by the logit scale. */
  readonly logits?: Float32Array;
  /** The output of the final norm for the returned rows ([nRowsReturned, nEmbd]). */
  readonly hidden?: Float32Array;
  /** Positions of the returned rows (hooks may have dropped rows, so these are not always 0..n-1). */
  readonly positions?: Int32Array;
}

/**
 * Per-layer key/value cache (f32). Layers may hold different row counts once rows are dropped
 * (FrameFusion); every row keeps the position it was computed at.
 */
export interface KvCache {
  /**
   * Position the next appended row will get by default: one past the largest position fed so far,
   * whether or not hooks dropped those rows.
   */
  readonly nextPosition: number;
  /** Rows held by layer `l`. */
  length(layer: number): number;
  /** Positions of the rows held by layer `l` (a view; do not modify). */
  positions(layer: number): Int32Array;
  /**
   * Forget every row at position >= `position` in all layers and continue from there, e.g. to
   * rewind a chat turn. Without dropped rows positions are row indices.
   */
  truncate(position: number): void;
  clear(): void;
  /** Gives the cache's memory back now (backends with their own memory); the cache is empty afterwards. */
  dispose?(): void;
}

export interface LanguageModel {
  readonly config: LlmConfig;
  /** An empty cache for this model; it grows as needed up to `maxRows` rows per layer (default contextLength). */
  newCache(maxRows?: number): KvCache;
  /** Input embedding rows for ids (unscaled, as stored in token_embd). Ids out of range throw a UserError. */
  embedTokens(ids: ArrayLike<number>): Float32Array;
  /**
   * Runs the rows through every layer, appending their keys/values to `cache`, and returns what
   * `options.logits` asks for. Token ids out of range and a full cache throw a UserError.
   */
  forward(input: ForwardInput, cache: KvCache, options?: ForwardOptions): ForwardResult;
  dispose(): Promise<void>;
}
