import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RopeTableCache, applyRope, ropeAngles, ropeTable, ropeTableRows, type Rope } from "../../src/models/llm/rope.js";
import { randoms } from "../compute/wasm-helpers.js";

// The row-by-row, head-by-head loop applyRope replaced: its results must stay bit-identical.
function applyRopeRef(rope: Rope, x: Float32Array, n: number, stride: number, nHeads: number, headDim: number, positions: ArrayLike<number>): void {
  const half = rope.dim / 2;
  const cos = new Float32Array(half);
  const sin = new Float32Array(half);
  const a = rope.style === "norm" ? 2 : 1;
  const b = rope.style === "norm" ? 1 : half;
  for (let t = 0; t < n; t++) {
    ropeAngles(rope, positions[t], cos, sin);
    for (let h = 0; h < nHeads; h++) {
      const o = t * stride + h * headDim;
      for (let i = 0; i < half; i++) {
        const j0 = o + i * a;
        const j1 = j0 + b;
        const x0 = x[j0];
        const x1 = x[j1];
        x[j0] = x0 * cos[i] - x1 * sin[i];
        x[j1] = x0 * sin[i] + x1 * cos[i];
      }
    }
  }
}

describe("rope", () => {
  const cases: [Rope, number, number][] = [
    [{ dim: 128, style: "neox", base: 1e6, freqScale: 1 }, 8, 128],
    [{ dim: 64, style: "norm", base: 1e4, freqScale: 1 }, 3, 64],
    [{ dim: 40, style: "neox", base: 1e4, freqScale: 0.5 }, 5, 80],
    [{ dim: 6, style: "norm", base: 500, freqScale: 1, freqFactors: Float32Array.of(1, 2, 4) }, 1, 10],
  ];

  it("applyRope is bit-identical to the one-pair loop, with or without a table, odd head counts, partial rotation, padded rows", () => {
    for (const [rope, nHeads, headDim] of cases) {
      const n = 7;
      const stride = nHeads * headDim + 3;
      const positions = Int32Array.of(0, 1, 2, 9, 100, 4095, 70000);
      const x = randoms(n * stride, nHeads * headDim);
      const want = x.slice();
      applyRopeRef(rope, want, n, stride, nHeads, headDim, positions);
      const got = x.slice();
      applyRope(rope, got, n, stride, nHeads, headDim, positions);
      assert.deepEqual(got, want, `${rope.style} dim ${rope.dim} ${nHeads}x${headDim}`);
      const table = ropeTable(rope, positions);
      const tail = x.slice(3 * stride);
      applyRope(rope, tail, n - 3, stride, nHeads, headDim, positions.subarray(3), ropeTableRows(rope, table, 3, n - 3));
      assert.deepEqual(tail, want.subarray(3 * stride), `${rope.style} dim ${rope.dim}: rows of a table`);
    }
  });

  it("RopeTableCache recomputes only when the positions' values change", () => {
    const rope = cases[0][0];
    const cache = new RopeTableCache(rope);
    const positions = Int32Array.of(5, 6, 7);
    const first = cache.of(positions);
    assert.equal(cache.of(positions.slice()), first);
    positions[1] = 60;
    const edited = cache.of(positions);
    assert.notEqual(edited, first);
    assert.deepEqual(edited, ropeTable(rope, positions));
    assert.deepEqual(cache.of(Int32Array.of(5, 60)), ropeTable(rope, Int32Array.of(5, 60)));
  });
});
