import {
  ARGS_F64, CHUNK, CHUNK_BITS, COMPLETED, ERR, FN, JOB, MEM, NARGS, NCHUNKS, PER_THREAD_AT,
  PER_THREAD_BASE_F64, PER_THREAD_STRIDE_F64, SPLIT_AT, TOTAL,
} from "./control.js";

type Kernel = (...args: number[]) => unknown;

/**
 * Claims and runs chunks of job `id` until none is left (both the caller and the workers run this).
 * Returns the first error thrown by a chunk of this thread, if any (the chunk still counts as done).
 */
export function runChunks(ctrl: Int32Array<ArrayBufferLike>, f64: Float64Array<ArrayBufferLike>, kernels: readonly Kernel[][], id: number, thread: number): unknown {
  const nChunks = ctrl[NCHUNKS];
  let v = Atomics.load(ctrl, JOB);
  if (v >>> CHUNK_BITS !== id || (v & ((1 << CHUNK_BITS) - 1)) >= nChunks) return undefined;
  const fn = kernels[ctrl[MEM]][ctrl[FN]];
  const n = ctrl[NARGS];
  const list = new Array<number>(n);
  for (let i = 0; i < n; i++) list[i] = f64[ARGS_F64 + i];
  const chunk = ctrl[CHUNK], total = ctrl[TOTAL], at = ctrl[SPLIT_AT], pt = ctrl[PER_THREAD_AT];
  if (pt >= 0) list[pt] = f64[PER_THREAD_BASE_F64] + thread * f64[PER_THREAD_STRIDE_F64];
  let failure: unknown;
  for (;;) {
    v = Atomics.load(ctrl, JOB);
    const k = v & ((1 << CHUNK_BITS) - 1);
    if (v >>> CHUNK_BITS !== id || k >= nChunks) return failure;
    if (Atomics.compareExchange(ctrl, JOB, v, v + 1) !== v) continue;
    list[at] = k * chunk;
    list[at + 1] = Math.min(total, (k + 1) * chunk);
    try {
      fn(...list);
    } catch (e) {
      failure ??= e;
      Atomics.store(ctrl, ERR, 1);
    }
    Atomics.add(ctrl, COMPLETED, 1);
  }
}
