import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { JsBackend } from "../../src/compute/js/js-backend.js";
import { createWasmBackend, type WasmBackend } from "../../src/compute/wasm/index.js";
import { GGMLType, ggmlTypeName } from "../../src/formats/gguf/ggml-types.js";
import { ALL_TYPES, FLOAT_TYPES, QUANT_TYPES, activationBlock, quantizedActivations, randoms, randomWeightBytes, referenceMatmul, relError } from "./wasm-helpers.js";

// Every weight type against the f32 reference (JsBackend: tolerance of the int8 activations) and
// against an exact emulation of the activation quantization (tight: checks the integer paths).
const ROWS = 80; // not a multiple of the 16-row thread split
const COLS = 1024;

describe("WasmBackend.matmul", () => {
  let two: WasmBackend, one: WasmBackend, plain: WasmBackend;
  const js = new JsBackend();
  before(async () => {
    two = await createWasmBackend({ threads: 2 });
    one = await createWasmBackend({ threads: 1 });
    plain = await createWasmBackend({ threads: 1, relaxedSimd: false });
  });
  after(async () => {
    await Promise.all([two.dispose(), one.dispose(), plain.dispose()]);
  });

  it("uses the relaxed-SIMD build when asked and supported, the plain one otherwise", () => {
    assert.equal(two.relaxedSimd, true);
    assert.equal(plain.relaxedSimd, false);
    assert.equal(two.threads, 2);
    assert.equal(one.threads, 1);
  });

  for (const type of ALL_TYPES) {
    const name = ggmlTypeName(type);
    it(`${name}: n = 1, 3, 17, 64 match the reference; threads 1 and 2 agree bit for bit`, async () => {
      const bytes = randomWeightBytes(type, ROWS, COLS, 1000 + type);
      const ref = await js.createWeight(type, ROWS, COLS, (d) => d.set(bytes));
      const w2 = await two.createWeight(type, ROWS, COLS, (d) => d.set(bytes));
      const w1 = await one.createWeight(type, ROWS, COLS, (d) => d.set(bytes));
      const tight = FLOAT_TYPES.includes(type) ? 2e-6 : 2e-5;
      const loose = FLOAT_TYPES.includes(type) ? 1e-5 : 1e-2;
      for (const n of [1, 3, 17, 64]) {
        const x = randoms(n * COLS, 7 * n + type);
        const y = two.matmul(w2, x, n);
        assert.equal(y.length, n * ROWS);
        const exact = referenceMatmul(type, bytes, ROWS, COLS, quantizedActivations(x, activationBlock(type)), n);
        assert.ok(relError(y, exact) < tight, `${name} n=${n}: ${relError(y, exact)} vs emulated int8 activations`);
        const e = relError(y, js.matmul(ref, x, n));
        assert.ok(e < loose, `${name} n=${n}: ${e} vs JsBackend`);
        assert.deepEqual(one.matmul(w1, x, n), y, `${name} n=${n}: threads 1 != threads 2`);
      }
    });
  }

  it("the plain SIMD128 build computes the same products", async () => {
    for (const type of ALL_TYPES) {
      const bytes = randomWeightBytes(type, ROWS, COLS, 2000 + type);
      const w = await plain.createWeight(type, ROWS, COLS, (d) => d.set(bytes));
      for (const n of [1, 17]) {
        const x = randoms(n * COLS, 11 * n + type);
        const exact = referenceMatmul(type, bytes, ROWS, COLS, quantizedActivations(x, activationBlock(type)), n);
        const e = relError(plain.matmul(w, x, n), exact);
        assert.ok(e < 2e-5, `${ggmlTypeName(type)} n=${n}: ${e}`);
      }
    }
  });

  it("handles rows of a block count not divisible by 4 and odd float widths", async () => {
    const cases: [GGMLType, number][] = [
      [GGMLType.Q4_0, 1056], [GGMLType.Q4_1, 1056], [GGMLType.Q5_0, 1088], [GGMLType.Q5_1, 1120], [GGMLType.Q8_0, 1056], [GGMLType.Q4_K, 768],
      [GGMLType.F32, 1030], [GGMLType.F16, 1030], [GGMLType.BF16, 1031],
    ];
    for (const [type, cols] of cases) {
      const rows = 37;
      const bytes = randomWeightBytes(type, rows, cols, 3000 + type);
      const w = await two.createWeight(type, rows, cols, (d) => d.set(bytes));
      for (const n of [1, 6]) {
        const x = randoms(n * cols, 13 * n + type);
        const exact = referenceMatmul(type, bytes, rows, cols, quantizedActivations(x, activationBlock(type)), n);
        const e = relError(two.matmul(w, x, n), exact);
        assert.ok(e < 2e-5, `${ggmlTypeName(type)} cols=${cols} n=${n}: ${e}`);
      }
    }
  });

  it("adds the bias, writes into `out`, and chunks long inputs", async () => {
    const type = GGMLType.Q4_K, rows = 48, cols = 4096, n = 301;
    const bytes = randomWeightBytes(type, rows, cols, 4000);
    const w = await two.createWeight(type, rows, cols, (d) => d.set(bytes));
    const x = randoms(n * cols, 4001);
    const bias = randoms(rows, 4002);
    const out = new Float32Array(n * rows + 5).fill(9);
    const y = two.matmul(w, x, n, bias, out);
    assert.equal(y, out);
    const exact = referenceMatmul(type, bytes, rows, cols, quantizedActivations(x, 256), n);
    for (let t = 0; t < n; t++) for (let r = 0; r < rows; r++) exact[t * rows + r] += bias[r];
    assert.ok(relError(y.subarray(0, n * rows), exact) < 2e-5);
    assert.deepEqual([...out.subarray(n * rows)], [9, 9, 9, 9, 9]);
  });

  it("getRows dequantizes exactly like the reference", async () => {
    for (const type of ALL_TYPES) {
      const cols = QUANT_TYPES.includes(type) && type < GGMLType.Q2_K ? 1056 : COLS;
      const bytes = randomWeightBytes(type, ROWS, cols, 5000 + type);
      const ref = await js.createWeight(type, ROWS, cols, (d) => d.set(bytes));
      const w = await two.createWeight(type, ROWS, cols, (d) => d.set(bytes));
      const ids = [3, 0, ROWS - 1, 3];
      assert.deepEqual(two.getRows(w, ids), js.getRows(ref, ids), ggmlTypeName(type));
    }
  });

  it("getRows reads every row of Q4_K, in interleaved groups of 4 and the 1-3 rows after them", async () => {
    const type = GGMLType.Q4_K, rows = 39, cols = 768;
    const bytes = randomWeightBytes(type, rows, cols, 5100);
    const ref = await js.createWeight(type, rows, cols, (d) => d.set(bytes));
    const w = await two.createWeight(type, rows, cols, (d) => d.set(bytes));
    const ids = Array.from({ length: rows }, (_, i) => rows - 1 - i);
    assert.deepEqual(two.getRows(w, ids), js.getRows(ref, ids));
  });

  it("keeps serving calls after the workers park", async () => {
    const bytes = randomWeightBytes(GGMLType.Q8_0, ROWS, COLS, 6000);
    const w = await two.createWeight(GGMLType.Q8_0, ROWS, COLS, (d) => d.set(bytes));
    const x = randoms(COLS * 4, 6001);
    const first = two.matmul(w, x, 4);
    await new Promise((r) => setTimeout(r, 30)); // > spinMs: the worker is asleep in Atomics.wait
    assert.deepEqual(two.matmul(w, x, 4), first);
  });

  it("rejects types it has no kernels for and weights of another backend", async () => {
    await assert.rejects(two.createWeight(GGMLType.Q8_K, 4, 256, () => {}), /no kernels for tensor type Q8_K/);
    const foreign = await one.createWeight(GGMLType.F32, 2, 4, () => {});
    assert.throws(() => two.matmul(foreign, new Float32Array(4), 1), /not created by this wasm backend/);
  });
});
