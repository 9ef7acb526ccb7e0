import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { attentionJs } from "../../src/compute/attention-js.js";
import { geluTanhInPlace } from "../../src/compute/elementwise.js";
import { JsBackend } from "../../src/compute/js/js-backend.js";
import { createWasmBackend, type WasmBackend } from "../../src/compute/wasm/index.js";
import { GGMLType, ggmlTypeName } from "../../src/formats/gguf/ggml-types.js";
import { quantizedActivations, randoms, randomWeightBytes, referenceMatmul, relError } from "./wasm-helpers.js";

// Weights created with { manyRows: "float" } (the vision tower's): Q8_0 products over many activation
// rows on dequantized blocks in f32 (as exact as the reference); with "int7" (the language model's):
// Q8_0 against 7-bit activations, exactly the products of the 7-bit-quantized activations; and
// matmulGelu (fc1 + bias + GELU fused).
const ROWS = 80;
const COLS = 1152;

describe("WasmBackend: manyRows weights and matmulGelu", () => {
  let two: WasmBackend, plain: WasmBackend;
  const js = new JsBackend();
  before(async () => {
    two = await createWasmBackend({ threads: 2 });
    plain = await createWasmBackend({ threads: 1, relaxedSimd: false });
  });
  after(async () => {
    await Promise.all([two.dispose(), plain.dispose()]);
  });

  for (const type of [GGMLType.Q8_0, GGMLType.F16, GGMLType.Q4_0]) {
    it(`${ggmlTypeName(type)} manyRows: n = 3, 16, 70 match the f32 reference; both builds and thread counts agree`, async () => {
      const bytes = randomWeightBytes(type, ROWS, COLS, 77 + type);
      const ref = await js.createWeight(type, ROWS, COLS, (d) => d.set(bytes));
      const w2 = await two.createWeight(type, ROWS, COLS, (d) => d.set(bytes), { manyRows: "float" });
      const w1 = await plain.createWeight(type, ROWS, COLS, (d) => d.set(bytes), { manyRows: "float" });
      const bias = randoms(ROWS, 5);
      for (const n of [3, 16, 70]) {
        const x = randoms(n * COLS, 100 + n);
        const want = js.matmul(ref, x, n, bias);
        const got = two.matmul(w2, x, n, bias);
        // float paths (F16, and Q8_0 from 16 rows on) are tight; int8 activations are not
        const tol = type === GGMLType.Q4_0 || (type === GGMLType.Q8_0 && n < 16) ? 1e-2 : 2e-6;
        assert.ok(relError(got, want) < tol, `${ggmlTypeName(type)} n=${n}: rel error ${relError(got, want)}`);
        assert.ok(relError(plain.matmul(w1, x, n, bias), want) < tol, `SIMD128 build n=${n}`);
      }
      // the row lookup still undoes the repacking
      assert.deepEqual(two.getRows(w2, [0, 79]), js.getRows(ref, [0, 79]));
    });
  }

  it("Q8_0 int7 manyRows: from 16 rows on, the exact products of 7-bit activations; both builds and thread counts agree", async () => {
    // 1157 columns' worth of blocks is not a multiple of 4 blocks: the kernel's tail runs too
    for (const [rows, cols] of [[ROWS, COLS], [37, 1184]]) {
      const bytes = randomWeightBytes(GGMLType.Q8_0, rows, cols, 5);
      const w2 = await two.createWeight(GGMLType.Q8_0, rows, cols, (d) => d.set(bytes), { manyRows: "int7" });
      const w1 = await plain.createWeight(GGMLType.Q8_0, rows, cols, (d) => d.set(bytes), { manyRows: "int7" });
      for (const n of [16, 23, 70]) {
        const x = randoms(n * cols, 200 + n);
        const want = referenceMatmul(GGMLType.Q8_0, bytes, rows, cols, quantizedActivations(x, 32, 63), n);
        assert.ok(relError(two.matmul(w2, x, n), want) < 1e-5, `n=${n}: rel error ${relError(two.matmul(w2, x, n), want)}`);
        assert.ok(relError(plain.matmul(w1, x, n), want) < 1e-5, `SIMD128 build n=${n}`);
        // and within 7-bit rounding of the float products
        assert.ok(relError(two.matmul(w2, x, n), referenceMatmul(GGMLType.Q8_0, bytes, rows, cols, x, n)) < 2e-2);
      }
      assert.deepEqual(two.getRows(w2, [0, rows - 1]), await js.createWeight(GGMLType.Q8_0, rows, cols, (d) => d.set(bytes)).then((r) => js.getRows(r, [0, rows - 1])));
    }
  });

  it("matmulGelu = gelu_tanh(matmul + bias) within float rounding, with and without bias", async () => {
    const bytes = randomWeightBytes(GGMLType.F16, ROWS, COLS, 9);
    const w = await two.createWeight(GGMLType.F16, ROWS, COLS, (d) => d.set(bytes), { manyRows: "float" });
    const n = 37;
    const x = randoms(n * COLS, 3);
    for (const bias of [randoms(ROWS, 4), undefined]) {
      const want = geluTanhInPlace(two.matmul(w, x, n, bias));
      const got = two.matmulGelu(w, x, n, bias);
      let max = 0;
      for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(got[i] - want[i]) / (Math.abs(want[i]) + 1e-3));
      assert.ok(max < 1e-5, `max relative difference ${max}`);
    }
    // large magnitudes: gelu(x) -> x for x >> 0, -> -0 for x << 0 (no NaN from the exponential)
    const big = new Float32Array(COLS).fill(0);
    const wb = await two.createWeight(GGMLType.F32, 4, COLS, (d) => {
      const f = new Float32Array(d.buffer, d.byteOffset, 4 * COLS);
      f[0] = 1000; f[COLS + 1] = -1000; f[2 * COLS + 2] = 3; f[3 * COLS + 3] = -3;
    });
    big[0] = 1; big[1] = 1; big[2] = 1; big[3] = 1;
    const y = two.matmulGelu(wb, big, 1);
    assert.equal(y[0], 1000);
    assert.ok(Math.abs(y[1]) < 1e-30 && !Number.isNaN(y[1]));
    assert.ok(Math.abs(y[2] - geluTanhInPlace(new Float32Array([3]))[0]) < 1e-6);
    assert.ok(Math.abs(y[3] - geluTanhInPlace(new Float32Array([-3]))[0]) < 1e-6);
  });

  it("full attention over many rows (16-row work items) = the 4-row kernel bit for bit, and the reference", () => {
    for (const [nQ, nKV, heads, headDim] of [[37, 37, 3, 72], [64, 101, 2, 128], [16, 5, 1, 8]]) {
      const width = heads * headDim;
      const q = randoms(nQ * width, nQ), k = randoms(nKV * width, nKV + 1), v = randoms(nKV * width, nKV + 2);
      const args = { q, k, v, nQ, nKV, nHeads: heads, nKVHeads: heads, headDim, scale: 1 / Math.sqrt(headDim) };
      for (const be of [two, plain]) {
        const fast = be.attention({ ...args });
        // asking for the probabilities takes the 4-row kernel (same arithmetic)
        const four = be.attention({ ...args, probs: new Float32Array(heads * nQ * nKV) });
        assert.deepEqual(fast, four, `${nQ}x${nKV} ${heads}x${headDim}`);
        assert.ok(relError(fast, attentionJs({ ...args })) < 1e-5);
      }
    }
  });
});
