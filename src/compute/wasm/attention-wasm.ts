import type { AttentionArgs } from "../backend.js";
import { alignUp } from "./arena.js";
import type { MemorySlot } from "./memory-slot.js";
import type { ThreadPool } from "./pool.js";

const PARALLEL_MIN_MACS = 1 << 15;

/**
 * Attention on the kernels (assembly/kernels/attention.ts), work split over blocks of 4 (query, head)
 * rows of one kv head.
 * Inputs already inside the memory (views on its buffer) are used in place, others are copied.
 * Returns undefined when the scratch does not fit; the caller then uses attentionJs.
 */
export function attentionWasm(pool: ThreadPool, slot: MemorySlot, a: AttentionArgs): Float32Array | undefined {
  const { nQ, nKV, nHeads, nKVHeads, headDim } = a;
  if (nHeads % nKVHeads !== 0) throw new RangeError(`attention: ${nHeads} heads is not a multiple of ${nKVHeads} kv heads`);
  const qStride = a.qStride ?? nHeads * headDim;
  const kvStride = a.kvStride ?? nKVHeads * headDim;
  const width = nHeads * headDim;
  const out = a.out ?? new Float32Array(nQ * width);
  if (nQ === 0) return out;
  if (nKV === 0) {
    out.fill(0, 0, nQ * width);
    return out;
  }
  const qLen = (nQ - 1) * qStride + width;
  const kvLen = (nKV - 1) * kvStride + nKVHeads * headDim;
  const causal = a.qPos !== undefined && a.kPos !== undefined;
  const threads = pool.threads;

  // in-place inputs need no room; the rest is laid out in the scratch area
  let size = 0;
  const place = (bytes: number): number => {
    const at = size;
    size = alignUp(size + bytes, 64);
    return at;
  };
  const qIn = slot.offsetOf(a.q), kIn = slot.offsetOf(a.k), vIn = slot.offsetOf(a.v), outIn = slot.offsetOf(out);
  const Q = qIn === undefined ? place(qLen * 4) : -1;
  const K = kIn === undefined ? place(kvLen * 4) : -1;
  const V = vIn === undefined ? place(kvLen * 4) : -1;
  const O = outIn === undefined ? place(nQ * width * 4) : -1;
  const P = a.probs ? place(nHeads * nQ * nKV * 4) : -1;
  const QP = causal ? place(nQ * 4) : -1;
  const KP = causal ? place(nKV * 4) : -1;
  const M = a.keyMask ? place(nKV) : -1;
  // many query rows of full attention (a vision tower's patches): work items of 16 rows of one head
  // (assembly/kernels/vision.ts), same arithmetic, keys and values read once per 16 rows instead of 4
  const rows16 = !causal && !a.keyMask && !a.probs && nHeads === nKVHeads && headDim % 8 === 0 && nQ >= 16;
  const rowsPerItem = rows16 ? 16 : 4;
  const scoreBytes = alignUp(rowsPerItem * (nKV + headDim) * 4, 64); // per thread: score rows, output rows
  const S = place(threads * scoreBytes);
  const base = slot.scratch(size);
  if (base === undefined) return undefined;

  const f32 = slot.f32;
  if (qIn === undefined) f32.set(a.q.subarray(0, qLen), (base + Q) >>> 2);
  if (kIn === undefined) f32.set(a.k.subarray(0, kvLen), (base + K) >>> 2);
  if (vIn === undefined) f32.set(a.v.subarray(0, kvLen), (base + V) >>> 2);
  if (causal) {
    const i32 = new Int32Array(slot.buffer);
    i32.set(a.qPos!.subarray(0, nQ), (base + QP) >>> 2);
    i32.set(a.kPos!.subarray(0, nKV), (base + KP) >>> 2);
  }
  if (a.keyMask) slot.u8.set(a.keyMask.subarray(0, nKV), base + M);

  const at = (inPlace: number | undefined, off: number): number => inPlace ?? base + off;
  const oPtr = at(outIn, O);
  const args = [
    at(qIn, Q), at(kIn, K), at(vIn, V), oPtr, a.probs ? base + P : 0,
    causal ? base + QP : 0, causal ? base + KP : 0, a.keyMask ? base + M : 0,
    nQ, nKV, nHeads, nKVHeads, headDim, qStride, kvStride, a.scale, 0, 0, 0,
  ];
  const small = nHeads * nQ * nKV * headDim < PARALLEL_MIN_MACS ? 1 : Infinity;
  if (rows16) {
    const args16 = [args[0], args[1], args[2], args[3], nQ, nKV, nHeads, headDim, qStride, kvStride, a.scale, 0, 0, 0];
    pool.run(slot, "attention_rows16", args16, { at: 12, total: nHeads * Math.ceil(nQ / 16), align: 1 }, { at: 11, base: base + S, stride: scoreBytes }, small);
  } else {
    const work = nKVHeads * Math.ceil((nHeads / nKVHeads) * nQ / 4); // blocks of 4 (query, head) rows per kv head
    pool.run(slot, "attention", args, { at: 17, total: work, align: 1 }, { at: 16, base: base + S, stride: scoreBytes }, small);
  }

  if (outIn === undefined) out.set(slot.f32.subarray(oPtr >>> 2, (oPtr >>> 2) + nQ * width));
  if (a.probs) {
    const p = (base + P) >>> 2;
    a.probs.set(slot.f32.subarray(p, p + nHeads * nQ * nKV));
  }
  return out;
}
