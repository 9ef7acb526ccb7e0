import { alignUp } from "./arena.js";
import type { MemorySlot } from "./memory-slot.js";
import type { ThreadPool } from "./pool.js";
import { MANY_ROWS_MIN } from "./kernel-abi.js";
import type { WasmWeight } from "./weight.js";

/** Scratch budget for one chunk of activation rows (input, quantized input, output). */
const CHUNK_BYTES = 8 << 20;
/** Quantized activations of a chunk should stay in L2 while every weight row passes over them. */
const CHUNK_L2_BYTES = 512 << 10;
/** Per-thread buffer for F16/BF16 weight rows converted to f32 (prefill). */
const CONVERT_BYTES = 128 << 10;
/** Below this many multiply-adds a call is not worth waking the workers. */
const PARALLEL_MIN_MACS = 1 << 16;

/**
 * y[n, rows] = x[n, cols] · Wᵀ (+ bias) on the memory holding W: activation rows are copied in by
 * chunks, quantized (q8 per 32 / 256 elements) for the integer kernels, multiplied with the weight
 * rows split among the threads, and copied out.
 */
export function matmulWasm(pool: ThreadPool, slot: MemorySlot, w: WasmWeight, x: Float32Array, n: number, bias?: Float32Array, out?: Float32Array, gelu = false): Float32Array {
  const { rows, cols } = w;
  const kind = w.manyRows && n >= MANY_ROWS_MIN ? w.manyRows : w.kind;
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`matmul: n = ${n}`);
  if (x.length < n * cols) throw new RangeError(`matmul: x holds ${x.length} < ${n}·${cols} values`);
  if (bias && bias.length < rows) throw new RangeError(`matmul: bias holds ${bias.length} < ${rows} values`);
  const y = out ?? new Float32Array(n * rows);
  if (y.length < n * rows) throw new RangeError(`matmul: out holds ${y.length} < ${n}·${rows} values`);
  if (n === 0) return y;

  const quant = kind.act !== "f32";
  const nb = kind.act === "q8_k" || kind.act === "q8_k4" ? cols / 256 : cols / 32;
  // per block: i16[16] or i16[8] sums, or one i32 sum
  const sumBytes = kind.act === "q8_k" ? 32 : kind.act === "q8_k4" ? 16 : kind.act === "q7_32" ? 0 : 4;
  const perRow = cols * 4 + (quant ? cols + nb * (4 + sumBytes) : 0) + rows * 4;
  let nc = Math.min(n, Math.max(1, Math.floor(CHUNK_BYTES / perRow)), Math.max(4, Math.floor(CHUNK_L2_BYTES / cols)));
  if (nc >= 4 && nc < n) nc &= ~3;

  const X = 0;
  const XQ = alignUp(X + nc * cols * 4, 64);
  const XD = alignUp(XQ + (quant ? nc * cols : 0), 64);
  const XS = alignUp(XD + (quant ? nc * nb * 4 : 0), 64);
  const Y = alignUp(XS + (quant ? nc * nb * sumBytes : 0), 64);
  // gelu: the bias goes in with the activation (bias_gelu, assembly/kernels/vision.ts)
  const B = alignUp(Y + nc * rows * 4, 64);
  const T = alignUp(B + (gelu && bias ? rows * 4 : 0), 64);
  const conv = kind.convertBuffer ? CONVERT_BYTES : 0;
  const base = slot.scratch(T + pool.threads * conv);
  if (base === undefined) throw new Error(`matmul: no room for ${T + pool.threads * conv} scratch bytes in memory ${slot.index}`);

  if (gelu && bias) slot.f32.set(bias.subarray(0, rows), (base + B) >>> 2);
  for (let t0 = 0; t0 < n; t0 += nc) {
    const c = Math.min(nc, n - t0);
    slot.f32.set(x.subarray(t0 * cols, (t0 + c) * cols), (base + X) >>> 2);
    const small = c * cols < PARALLEL_MIN_MACS ? 1 : Infinity;
    if (kind.act === "q8_32" || kind.act === "q7_32") {
      pool.run(slot, kind.act === "q8_32" ? "quant_q8_32" : "quant_q7_32", [base + X, cols, base + XQ, base + XD, base + XS, 0, 0], { at: 5, total: c, align: 1 }, undefined, small);
    } else if (kind.act === "q8_k" || kind.act === "q8_k4") {
      pool.run(slot, kind.act === "q8_k" ? "quant_q8_k" : "quant_q8_k4", [base + X, cols, base + XQ, base + XD, base + XS, 0, 0], { at: 5, total: c, align: 1 }, undefined, small);
    }
    const maxThreads = c * rows * cols < PARALLEL_MIN_MACS ? 1 : Infinity;
    const split = { total: rows, align: 16 };
    if (quant && conv) {
      pool.run(slot, kind.fn, [w.ptr, nb, base + XQ, base + XD, base + XS, c, base + Y, rows, 0, 0, 0, conv], { ...split, at: 8 }, { at: 10, base: base + T, stride: conv }, maxThreads);
    } else if (quant) {
      pool.run(slot, kind.fn, [w.ptr, nb, base + XQ, base + XD, base + XS, c, base + Y, rows, 0, 0], { ...split, at: 8 }, undefined, maxThreads);
    } else if (conv) {
      pool.run(slot, kind.fn, [w.ptr, cols, base + X, c, base + Y, rows, 0, 0, 0, conv], { ...split, at: 6 }, { at: 8, base: base + T, stride: conv }, maxThreads);
    } else {
      pool.run(slot, kind.fn, [w.ptr, cols, base + X, c, base + Y, rows, 0, 0], { ...split, at: 6 }, undefined, maxThreads);
    }
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
