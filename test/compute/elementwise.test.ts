import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addInPlace, layerNorm, rmsNorm } from "../../src/compute/elementwise.js";
import { randoms } from "./wasm-helpers.js";

// The one-value-at-a-time loops the unrolled ones replaced (same arithmetic per value, one sum chain).
function rmsNormRef(x: Float32Array, n: number, width: number, weight: Float32Array | undefined, eps: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let t = 0; t < n; t++) {
    const o = t * width;
    let ss = 0;
    for (let i = 0; i < width; i++) ss += x[o + i] * x[o + i];
    const scale = 1 / Math.sqrt(ss / width + eps);
    for (let i = 0; i < width; i++) out[o + i] = x[o + i] * scale * (weight ? weight[i] : 1);
  }
  return out;
}

function layerNormRef(x: Float32Array, n: number, width: number, weight: Float32Array, bias: Float32Array, eps: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let t = 0; t < n; t++) {
    const o = t * width;
    let mean = 0;
    for (let i = 0; i < width; i++) mean += x[o + i];
    mean /= width;
    let varSum = 0;
    for (let i = 0; i < width; i++) { const d = x[o + i] - mean; varSum += d * d; }
    const inv = 1 / Math.sqrt(varSum / width + eps);
    for (let i = 0; i < width; i++) out[o + i] = (x[o + i] - mean) * inv * weight[i] + bias[i];
  }
  return out;
}

/** Equal up to the order of the double sums: a flipped float rounding at most. */
function assertClose(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= 1.2e-7 * Math.abs(want[i]), `${what} [${i}]: ${got[i]} vs ${want[i]}`);
  }
}

describe("elementwise", () => {
  const widths = [1, 3, 4, 7, 64, 129, 2560];

  it("rmsNorm matches the one-value loop, with and without weight, in place or not", () => {
    for (const width of widths) {
      const n = 5;
      const x = randoms(n * width, width).map((v, i) => (i % 13 === 0 ? v * 50 : v));
      const w = randoms(width, width + 1);
      for (const weight of [w, undefined]) {
        const want = rmsNormRef(x, n, width, weight, 1e-6);
        assertClose(rmsNorm(x, n, width, weight, 1e-6, new Float32Array(x.length)), want, `width ${width}`);
        assertClose(rmsNorm(x.slice(), n, width, weight, 1e-6), want, `width ${width} in place`);
      }
    }
  });

  it("layerNorm matches the one-value loop", () => {
    for (const width of widths) {
      const n = 3;
      const x = randoms(n * width, width + 2).map((v) => v * 3 + 0.5);
      const w = randoms(width, width + 3), b = randoms(width, width + 4);
      const want = layerNormRef(x, n, width, w, b, 1e-6);
      assertClose(layerNorm(x, n, width, w, b, 1e-6, new Float32Array(x.length)), want, `width ${width}`);
      assertClose(layerNorm(x.slice(), n, width, w, b, 1e-6), want, `width ${width} in place`);
    }
  });

  it("addInPlace is exactly a[i] += b[i]·scale, scale 1 or not, any length", () => {
    for (const len of [0, 1, 3, 4, 5, 1001]) {
      const a = randoms(len, len + 5), b = randoms(len, len + 6);
      for (const scale of [1, 0.2213594362117866, -3]) {
        const want = a.slice();
        for (let i = 0; i < len; i++) want[i] += b[i] * scale;
        assert.deepEqual(addInPlace(a.slice(), b, scale), want, `len ${len} scale ${scale}`);
      }
      const want = a.slice();
      for (let i = 0; i < len; i++) want[i] += b[i];
      assert.deepEqual(addInPlace(a.slice(), b), want, `len ${len} default scale`);
    }
  });
});
