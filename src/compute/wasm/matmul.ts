import { alignUp } from "./arena.js";
import type { MemorySlot } from "./memory-slot.js";
import type { ThreadPool } from "./pool.js";
import { MANY_ROWS_MIN, type MatmulKind } from "./kernel-abi.js";
import type { WasmWeight } from "./weight.js";

/** Scratch budget for one chunk of activation rows (input, quantized input, output). */
const CHUNK_BYTES = 8 << 20;
/** Quantized activations of a chunk should stay in L2 while every weight row passes over them. */
const CHUNK_L2_BYTES = 512 << 10;
/** Per-thread buffer for F16/BF16 weight rows converted to f32 (prefill). */
const CONVERT_BYTES = 128 << 10;
/** Below this many multiply-adds a call is not worth waking the workers. */
const PARALLEL_MIN_MACS = 1 << 16;

/** The kernel for a product over n activation rows (the many-row one from MANY_ROWS_MIN rows on). */
export function kindFor(w: WasmWeight, n: number): MatmulKind {
  return w.manyRows && n >= MANY_ROWS_MIN ? w.manyRows : w.kind;
}

/** Scratch sizes of a kind's activation format: bytes per quantized row (values, scales, sums). */
export function actLayout(kind: MatmulKind, cols: number): { quant: boolean; nb: number; sumBytes: number; rowBytes: number } {
  const quant = kind.act !== "f32";
  const nb = kind.act === "q8_k" || kind.act === "q8_k4" ? cols / 256 : cols / 32;
  // per block: i16[16] or i16[8] sums, one i32 sum, or none
  const sumBytes = kind.act === "q8_k" ? 32 : kind.act === "q8_k4" ? 16 : kind.act === "q7_32" ? 0 : 4;
  return { quant, nb, sumBytes, rowBytes: quant ? cols + nb * (4 + sumBytes) : 0 };
}

/** Where one chunk's quantized activations go (byte offsets in the slot; see actLayout). */
export interface QuantArea {
  readonly xq: number;
  readonly xd: number;
  readonly xs: number;
}

/** Quantized-area offsets for up to `rows` rows starting at `at`; returns them and the end offset. */
export function quantArea(kind: MatmulKind, cols: number, rows: number, at: number): { area: QuantArea; end: number } {
  const { quant, nb, sumBytes } = actLayout(kind, cols);
  const xq = alignUp(at, 64);
  const xd = alignUp(xq + (quant ? rows * cols : 0), 64);
  const xs = alignUp(xd + (quant ? rows * nb * 4 : 0), 64);
  return { area: { xq, xd, xs }, end: alignUp(xs + (quant ? rows * nb * sumBytes : 0), 64) };
}

/** Quantizes rows [0, c) of f32 x (at xPtr, `cols` wide) into `q` for `kind` (nothing for f32 kinds). */
export function quantizeRows(pool: ThreadPool, slot: MemorySlot, kind: MatmulKind, cols: number, xPtr: number, c: number, q: QuantArea): void {
  if (kind.act === "f32") return;
  const fn = kind.act === "q8_32" ? "quant_q8_32" : kind.act === "q7_32" ? "quant_q7_32" : kind.act === "q8_k" ? "quant_q8_k" : "quant_q8_k4";
  const small = c * cols < PARALLEL_MIN_MACS ? 1 : Infinity;
  // the last argument, the row count, tells quant_q8_k4 which rows form full groups of 4
  pool.run(slot, fn, [xPtr, cols, q.xq, q.xd, q.xs, 0, 0, c], { at: 5, total: c, align: 1 }, undefined, small);
}

/**
 * y rows [0, c) (at yPtr, row stride `ldy` floats) = c activation rows · Wᵀ, weight rows split among
 * the threads: from `q` (already quantized by quantizeRows) or, for f32 kinds, from x at xPtr.
 * `conv` is the per-thread buffer of kinds that want one (CONVERT_BYTES per thread).
 */
export function productRows(pool: ThreadPool, slot: MemorySlot, w: WasmWeight, kind: MatmulKind, xPtr: number, q: QuantArea, c: number,
  yPtr: number, ldy: number, conv: number): void {
  const { rows, cols } = w;
  const maxThreads = c * rows * cols < PARALLEL_MIN_MACS ? 1 : Infinity;
  const split = { total: rows, align: 16 };
  const nb = actLayout(kind, cols).nb;
  const perThread = { base: conv, stride: CONVERT_BYTES };
  if (kind.act !== "f32" && kind.convertBuffer) {
    pool.run(slot, kind.fn, [w.ptr, nb, q.xq, q.xd, q.xs, c, yPtr, ldy, 0, 0, 0, CONVERT_BYTES], { ...split, at: 8 }, { ...perThread, at: 10 }, maxThreads);
  } else if (kind.act !== "f32") {
    pool.run(slot, kind.fn, [w.ptr, nb, q.xq, q.xd, q.xs, c, yPtr, ldy, 0, 0], { ...split, at: 8 }, undefined, maxThreads);
  } else if (kind.convertBuffer) {
    pool.run(slot, kind.fn, [w.ptr, cols, xPtr, c, yPtr, ldy, 0, 0, 0, CONVERT_BYTES], { ...split, at: 6 }, { ...perThread, at: 8 }, maxThreads);
  } else {
    pool.run(slot, kind.fn, [w.ptr, cols, xPtr, c, yPtr, ldy, 0, 0], { ...split, at: 6 }, undefined, maxThreads);
  }
}

/**
 * Rows per chunk of an n-row product: at most `limit`, and few enough that the quantized activations
 * (`cols` bytes a row) stay in L2 while every weight row passes over them; a multiple of 4 below n.
 */
export function chunkRows(n: number, cols: number, limit = Infinity): number {
  let nc = Math.min(n, Math.max(1, limit), Math.max(4, Math.floor(CHUNK_L2_BYTES / cols)));
  if (nc >= 4 && nc < n) nc &= ~3;
  return nc;
}

/** Bytes of per-thread buffers a kind needs. */
export function convBytes(pool: ThreadPool, kind: MatmulKind): number {
  return kind.convertBuffer ? pool.threads * CONVERT_BYTES : 0;
}

/**
 * y[n, rows] = x[n, cols] · Wᵀ (+ bias) on the memory holding W: activation rows are copied in by
 * chunks, quantized (q8 per 32 / 256 elements) for the integer kernels, multiplied with the weight
 * rows split among the threads, and copied out.
 */
export function matmulWasm(pool: ThreadPool, slot: MemorySlot, w: WasmWeight, x: Float32Array, n: number, bias?: Float32Array, out?: Float32Array, gelu = false): Float32Array {
  const { rows, cols } = w;
  const kind = kindFor(w, n);
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`matmul: n = ${n}`);
  if (x.length < n * cols) throw new RangeError(`matmul: x holds ${x.length} < ${n}·${cols} values`);
  if (bias && bias.length < rows) throw new RangeError(`matmul: bias holds ${bias.length} < ${rows} values`);
  const y = out ?? new Float32Array(n * rows);
  if (y.length < n * rows) throw new RangeError(`matmul: out holds ${y.length} < ${n}·${rows} values`);
  if (n === 0) return y;

  const perRow = cols * 4 + actLayout(kind, cols).rowBytes + rows * 4;
  const nc = chunkRows(n, cols, Math.floor(CHUNK_BYTES / perRow));

  const X = 0;
  const { area, end } = quantArea(kind, cols, nc, alignUp(X + nc * cols * 4, 64));
  const Y = end;
  // gelu: the bias goes in with the activation (bias_gelu, assembly/kernels/vision.ts)
  const B = alignUp(Y + nc * rows * 4, 64);
  const T = alignUp(B + (gelu && bias ? rows * 4 : 0), 64);
  const conv = convBytes(pool, kind);
  const base = slot.scratch(T + conv);
  if (base === undefined) throw new Error(`matmul: no room for ${T + conv} scratch bytes in memory ${slot.index}`);
  const q = { xq: base + area.xq, xd: base + area.xd, xs: base + area.xs };

  if (gelu && bias) slot.f32.set(bias.subarray(0, rows), (base + B) >>> 2);
  for (let t0 = 0; t0 < n; t0 += nc) {
    const c = Math.min(nc, n - t0);
    slot.f32.set(x.subarray(t0 * cols, (t0 + c) * cols), (base + X) >>> 2);
    quantizeRows(pool, slot, kind, cols, base + X, c, q);
    productRows(pool, slot, w, kind, base + X, q, c, base + Y, rows, base + T);
    const small = c * cols < PARALLEL_MIN_MACS ? 1 : Infinity;
    if (gelu) pool.run(slot, "bias_gelu", [base + Y, rows, bias ? base + B : 0, 0, 0], { at: 3, total: c, align: 1 }, undefined, small);
    const yo = (base + Y) >>> 2;
    y.set(slot.f32.subarray(yo, yo + c * rows), t0 * rows);
    if (bias && !gelu) {
      for (let t = t0; t < t0 + c; t++) {
        const o = t * rows;
        for (let r = 0; r < rows; r++) y[o + r] += bias[r];
      }
    }
  }
  return y;
}
