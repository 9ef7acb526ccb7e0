import { alignUp } from "./arena.js";
import { chunkRows, convBytes, kindFor, productRows, quantArea, quantizeRows, type QuantArea } from "./matmul.js";
import type { MemorySlot } from "./memory-slot.js";
import type { ThreadPool } from "./pool.js";
import type { WasmWeight } from "./weight.js";

/** Scratch budget for one pass of rows through the whole feed-forward block (input, gate, up, output). */
const PASS_BYTES = 32 << 20;
/** Below this many elements silu_mul runs on the calling thread only. */
const SILU_PARALLEL_MIN = 1 << 16;

/**
 * y[n, e] = Wdown · (silu(Wgate · x) ⊙ Wup · x) for x [n, e], all three weights in `slot`: x is copied
 * in once and quantized once for gate and up (when they share an activation format), and the hidden
 * activations [n, nFF] never leave the backend's memory, so the feed-forward block costs one copy in
 * and one copy out instead of five matmul/SiLU round trips.
 */
export function swigluWasm(pool: ThreadPool, slot: MemorySlot, gate: WasmWeight, up: WasmWeight, down: WasmWeight,
  x: Float32Array, n: number, out?: Float32Array): Float32Array {
  const e = gate.cols, ff = gate.rows;
  if (up.cols !== e || up.rows !== ff || down.cols !== ff || down.rows !== e) {
    throw new RangeError(`swiglu: gate [${ff}, ${e}], up [${up.rows}, ${up.cols}], down [${down.rows}, ${down.cols}] do not chain`);
  }
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`swiglu: n = ${n}`);
  if (x.length < n * e) throw new RangeError(`swiglu: x holds ${x.length} < ${n}·${e} values`);
  const y = out ?? new Float32Array(n * e);
  if (y.length < n * e) throw new RangeError(`swiglu: out holds ${y.length} < ${n}·${e} values`);
  if (n === 0) return y;

  const kG = kindFor(gate, n), kU = kindFor(up, n), kD = kindFor(down, n);
  const shared = kG.act === kU.act;
  const np = Math.max(1, Math.min(n, Math.floor(PASS_BYTES / ((2 * e + 2 * ff) * 4))));
  // gate / up run in chunks whose quantized input stays in L2, down likewise (its rows are ff wide)
  const ncIn = chunkRows(np, e), ncDown = chunkRows(np, ff);

  const X = 0;
  const G = alignUp(X + np * e * 4, 64);
  const U = alignUp(G + np * ff * 4, 64);
  const Y = alignUp(U + np * ff * 4, 64);
  const qG = quantArea(kG, e, ncIn, Y + np * e * 4);
  const qU = shared ? qG : quantArea(kU, e, ncIn, qG.end);
  const qD = quantArea(kD, ff, ncDown, qU.end);
  const T = qD.end;
  const conv = Math.max(convBytes(pool, kG), convBytes(pool, kU), convBytes(pool, kD));
  const base = slot.scratch(T + conv);
  if (base === undefined) throw new Error(`swiglu: no room for ${T + conv} scratch bytes in memory ${slot.index}`);
  const at = (a: QuantArea): QuantArea => ({ xq: base + a.xq, xd: base + a.xd, xs: base + a.xs });
  const areaG = at(qG.area), areaU = at(qU.area), areaD = at(qD.area);

  for (let p0 = 0; p0 < n; p0 += np) {
    const c = Math.min(np, n - p0);
    slot.f32.set(x.subarray(p0 * e, (p0 + c) * e), (base + X) >>> 2);
    for (let t = 0; t < c; t += ncIn) {
      const m = Math.min(ncIn, c - t);
      const xPtr = base + X + t * e * 4;
      quantizeRows(pool, slot, kG, e, xPtr, m, areaG);
      productRows(pool, slot, gate, kG, xPtr, areaG, m, base + G + t * ff * 4, ff, base + T);
      if (!shared) quantizeRows(pool, slot, kU, e, xPtr, m, areaU);
      productRows(pool, slot, up, kU, xPtr, areaU, m, base + U + t * ff * 4, ff, base + T);
    }
    const total = c * ff;
    pool.run(slot, "silu_mul", [base + G, base + U, 0, 0], { at: 2, total, align: 256 }, undefined, total < SILU_PARALLEL_MIN ? 1 : Infinity);
    for (let t = 0; t < c; t += ncDown) {
      const m = Math.min(ncDown, c - t);
      const hPtr = base + G + t * ff * 4;
      quantizeRows(pool, slot, kD, ff, hPtr, m, areaD);
      productRows(pool, slot, down, kD, hPtr, areaD, m, base + Y + t * e * 4, e, base + T);
    }
    const yo = (base + Y) >>> 2;
    y.set(slot.f32.subarray(yo, yo + c * e), p0 * e);
  }
  return y;
}

/** Whether the fused path applies: the three weights share one memory. */
export function canFuseSwiglu(gate: WasmWeight, up: WasmWeight, down: WasmWeight): boolean {
  return gate.slot === up.slot && up.slot === down.slot;
}
