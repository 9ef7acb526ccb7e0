/**
 * What the runtime (generation, chat sessions) and the multimodal layer need from a language model.
 * Implemented per architecture family in this folder; consumed by src/runtime and src/multimodal.
 */
import type { ForwardHooks } from "./hooks.js";

export type LlmArch = "llama" | "qwen2" | "qwen3" | "minicpm";

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
  readonly ropeTheta: number;
  readonly rmsEps: number;
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
  /** Which positions' logits to return: none, only the last row, or every row. Default "last". */
  readonly logits?: "none" | "last" | "all";
  /** Observe / edit the sequence between layers (attention probabilities, hidden states, row sets). */
  readonly hooks?: ForwardHooks;
  /** Positions of the rows; default: continue after the cache's last position. */
  readonly positions?: Int32Array;
  /** Rows per internal chunk during prefill (bounds scratch memory); default chosen by the model. */
  readonly chunkSize?: number;
}

export interface ForwardResult {
  /** [nRowsReturned, nVocab], already divided by the logit scale. */
  readonly logits?: Float32Array;
  /** The output of the final norm for the returned rows ([nRowsReturned, nEmbd]). */
  readonly hidden?: Float32Array;
}

/** Per-layer key/value cache. Layers may hold different row counts once rows are dropped (FrameFusion). */
export interface KvCache {
  /** Position the next appended row will get by default. */
  readonly nextPosition: number;
  /** Rows held by layer `l`. */
  length(layer: number): number;
  /** Forget everything from row index `from` on (all layers), e.g. to rewind a chat turn. */
  truncate(from: number): void;
  clear(): void;
}

export interface LanguageModel {
  readonly config: LlmConfig;
  newCache(maxRows?: number): KvCache;
  /** Input embedding rows for ids (unscaled, as stored in token_embd). */
  embedTokens(ids: ArrayLike<number>): Float32Array;
  forward(input: ForwardInput, cache: KvCache, options?: ForwardOptions): ForwardResult;
  dispose(): Promise<void>;
}
