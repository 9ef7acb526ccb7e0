import { GGMLType } from "../../formats/gguf/ggml-types.js";

/**
 * The exports of assembly/kernels/*.ts (one module, two builds: SIMD128 and relaxed SIMD). Pointers
 * are byte offsets in the instance's memory passed as i32 (values >= 2^31 wrap and read back as u32).
 */
export interface KernelExports {
  heap_base(): number;
  quant_q8_32(x: number, cols: number, xq: number, xd: number, xi: number, t0: number, t1: number): void;
  quant_q8_k(x: number, cols: number, xq: number, xd: number, xb: number, t0: number, t1: number): void;
  quant_q8_k4(x: number, cols: number, xq: number, xd: number, xb: number, t0: number, t1: number, n: number): void;
  repack_q4_k(w: number, rows: number, nsb: number, tmp: number): void;
  repack_rows(kind: number, w: number, rows: number, nb: number, tmp: number): void;
  attention(q: number, k: number, v: number, out: number, probs: number, qPos: number, kPos: number, mask: number,
    nQ: number, nKV: number, nHeads: number, nKVHeads: number, headDim: number, qStride: number, kvStride: number,
    scale: number, scores: number, w0: number, w1: number): void;
  [matmul: string]: ((...args: number[]) => unknown) | unknown;
}

/** Functions the worker pool can run, by index (the same list on both sides of the hand-off). */
export const POOL_FUNCTIONS = [
  "quant_q8_32", "quant_q8_k", "quant_q8_k4", "attention",
  "mm_f32", "mm_f16", "mm_bf16",
  "mm_q4_0", "mm_q4_1", "mm_q5_0", "mm_q5_1", "mm_q8_0",
  "mm_q2_k", "mm_q3_k", "mm_q4_k", "mm_q5_k", "mm_q6_k",
  "stream_read", "silu_mul",
  "mm_q8_0_f32", "bias_gelu", "attention_rows16",
  "quant_q7_32", "mm_q8_0_u7",
] as const;
export type PoolFunction = (typeof POOL_FUNCTIONS)[number];

/** How a weight type is multiplied: which kernel, which activation format, whether it is repacked. */
export interface MatmulKind {
  readonly fn: PoolFunction;
  /**
   * f32: the kernel reads x as is; q8_32 / q8_k: x is quantized per 32 / 256 elements first; q8_k4:
   * per 256 in the interleaved order of repacked Q4_K (assembly/kernels/mm-q4k.ts); q7_32: to 7 bits
   * per 32, stored offset to unsigned (assembly/kernels/mm-q8-u7.ts).
   */
  readonly act: "f32" | "q8_32" | "q8_k" | "q8_k4" | "q7_32";
  /**
   * Rows rewritten after loading: assembly/kernels/repack.ts kind for the 32-element block types,
   * REPACK_Q4_K for Q4_K (assembly/kernels/mm-q4k.ts).
   */
  readonly repack?: number;
  /** The kernel wants a per-thread buffer (F16/BF16 and float Q8_0: converted weight rows; int7 Q8_0: block sums). */
  readonly convertBuffer?: boolean;
}

/** MatmulKind.repack of Q4_K. */
export const REPACK_Q4_K = 5;

export const MATMUL_KINDS: Readonly<Partial<Record<GGMLType, MatmulKind>>> = {
  [GGMLType.F32]: { fn: "mm_f32", act: "f32" },
  [GGMLType.F16]: { fn: "mm_f16", act: "f32", convertBuffer: true },
  [GGMLType.BF16]: { fn: "mm_bf16", act: "f32", convertBuffer: true },
  [GGMLType.Q4_0]: { fn: "mm_q4_0", act: "q8_32", repack: 0 },
  [GGMLType.Q4_1]: { fn: "mm_q4_1", act: "q8_32", repack: 1 },
  [GGMLType.Q5_0]: { fn: "mm_q5_0", act: "q8_32", repack: 2 },
  [GGMLType.Q5_1]: { fn: "mm_q5_1", act: "q8_32", repack: 3 },
  [GGMLType.Q8_0]: { fn: "mm_q8_0", act: "q8_32", repack: 4 },
  [GGMLType.Q2_K]: { fn: "mm_q2_k", act: "q8_k" },
  [GGMLType.Q3_K]: { fn: "mm_q3_k", act: "q8_k" },
  [GGMLType.Q4_K]: { fn: "mm_q4_k", act: "q8_k4", repack: REPACK_Q4_K },
  [GGMLType.Q5_K]: { fn: "mm_q5_k", act: "q8_k" },
  [GGMLType.Q6_K]: { fn: "mm_q6_k", act: "q8_k" },
};

/**
 * Kernels for weights created with `manyRows` (products over many activation rows), used from
 * MANY_ROWS_MIN activation rows on. "float": Q8_0 rows dequantized by blocks into a per-thread buffer
 * and multiplied in f32 (assembly/kernels/vision.ts), exact (the reference backend's products) and
 * faster than the q8 integer kernel there. "int7": Q8_0 against 7-bit activations
 * (assembly/kernels/mm-q8-u7.ts), about 1.3x the float kernel's rate in a prefill profile.
 */
export const MANY_ROWS_KINDS: Readonly<Record<"float" | "int7", Partial<Record<GGMLType, MatmulKind>>>> = {
  float: { [GGMLType.Q8_0]: { fn: "mm_q8_0_f32", act: "f32", repack: 4, convertBuffer: true } },
  int7: { [GGMLType.Q8_0]: { fn: "mm_q8_0_u7", act: "q7_32", repack: 4, convertBuffer: true } },
};
export const MANY_ROWS_MIN = 16;
