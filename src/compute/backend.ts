import type { GGMLType } from "../formats/gguf/ggml-types.js";

/**
 * The narrow op interface model code calls. Backends (the JavaScript reference, WebAssembly SIMD on
 * worker threads, later others) implement it; model code never knows which one runs.
 *
 * Conventions: activations are row-major Float32Array `[n, width]`; a weight matrix is PyTorch's
 * `[rows = out_features, cols = in_features]` (ggml: ne0 = cols, ne1 = rows), stored in its file type.
 * Ops are synchronous: a multi-threaded backend blocks (or spins) until its workers finish, which keeps
 * model code a plain sequence of calls. In a browser, run the engine inside a Worker.
 */
export interface WeightMatrix {
  readonly type: GGMLType;
  readonly rows: number;
  readonly cols: number;
}

/** Hints for `createWeight`. */
export interface WeightOptions {
  /**
   * Products with this weight often run over many activation rows at once, and the backend may pick
   * kernels for that case: "float" keeps them exact (float products on dequantized blocks; a vision
   * tower, whose activations have outliers), "int7" trades the activations' 8th bit for speed (integer
   * products against activations quantized to 7 bits per block; a language model's prefill).
   */
  readonly manyRows?: "float" | "int7";
}

export interface AttentionArgs {
  /** Queries `[nQ, nHeads * headDim]` (row stride qStride, default nHeads*headDim). */
  q: Float32Array;
  /** Keys and values `[nKV, nKVHeads * headDim]` (row stride kvStride, default nKVHeads*headDim). */
  k: Float32Array;
  v: Float32Array;
  nQ: number;
  nKV: number;
  nHeads: number;
  nKVHeads: number;
  headDim: number;
  scale: number;
  qStride?: number;
  kvStride?: number;
  /**
   * Causal masking by position: query i sees key j iff kPos[j] <= qPos[i]. Omit both for full
   * (bidirectional) attention. When rows have been dropped (FrameFusion), positions are not indices.
   */
  qPos?: Int32Array;
  kPos?: Int32Array;
  /** Keys to ignore (padding): keyMask[j] = 1 masks key j for every query. */
  keyMask?: Uint8Array;
  /** If given, filled with the attention probabilities `[nHeads, nQ, nKV]` (for hooks). */
  probs?: Float32Array;
  /** Output `[nQ, nHeads * headDim]`; allocated if omitted. */
  out?: Float32Array;
}

export interface Backend {
  readonly name: string;
  readonly threads: number;

  /**
   * Creates a weight matrix of `type`; `fill` writes its raw file bytes (ggml layout) into `dst`,
   * which may be the backend's own memory, so weights are read from disk exactly once.
   */
  createWeight(type: GGMLType, rows: number, cols: number, fill: (dst: Uint8Array) => Promise<void> | void, opts?: WeightOptions): Promise<WeightMatrix>;

  /** y[n, rows] = x[n, cols] · Wᵀ (+ bias). */
  matmul(w: WeightMatrix, x: Float32Array, n: number, bias?: Float32Array, out?: Float32Array): Float32Array;

  /**
   * Optional: y = gelu_tanh(x · Wᵀ + bias) (gelu_pytorch_tanh) in one call, the GELU applied inside the
   * backend's memory on all its threads. Model code falls back to matmul + geluTanhInPlace without it.
   */
  matmulGelu?(w: WeightMatrix, x: Float32Array, n: number, bias?: Float32Array, out?: Float32Array): Float32Array;

  /**
   * Optional: the SwiGLU feed-forward block y[n, e] = down · (silu(gate · x) ⊙ up · x) in one call, its
   * [n, nFF] hidden activations kept inside the backend. Model code falls back to matmul + siluMul.
   */
  swiglu?(gate: WeightMatrix, up: WeightMatrix, down: WeightMatrix, x: Float32Array, n: number, out?: Float32Array): Float32Array;

  /** Optional: gate = silu(gate) ⊙ up in place (SwiGLU); model code falls back to siluMulInPlace. */
  siluMul?(gate: Float32Array, up: Float32Array): Float32Array;

  /** Dequantized rows of `w` (embedding lookup): out[i, cols] = W[ids[i], :]. */
  getRows(w: WeightMatrix, ids: ArrayLike<number>, out?: Float32Array): Float32Array;

  /** Scaled dot-product attention with grouped-query heads (nHeads a multiple of nKVHeads). */
  attention(args: AttentionArgs): Float32Array;

  /**
   * Optional: a zeroed Float32Array inside the backend's own memory, so ops read it in place instead of
   * copying it in on every call (the KV cache). Give it back with `freeF32`. May return an ordinary
   * array when the backend's memory is full.
   */
  allocF32?(length: number): Float32Array;
  freeF32?(a: Float32Array): void;

  /** Releases workers and memory. */
  dispose(): Promise<void>;
}
