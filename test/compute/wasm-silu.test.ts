import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { siluMulInPlace } from "../../src/compute/elementwise.js";
import { createWasmBackend, type WasmBackend } from "../../src/compute/wasm/index.js";
import { randoms } from "./wasm-helpers.js";

describe("WasmBackend.siluMul", () => {
  let two: WasmBackend, plain: WasmBackend;
  before(async () => {
    two = await createWasmBackend({ threads: 2 });
    plain = await createWasmBackend({ threads: 1, relaxedSimd: false });
  });
  after(async () => {
    await Promise.all([two.dispose(), plain.dispose()]);
  });

  it("matches siluMulInPlace to float rounding, large and tiny gates, any length, 1 and 2 threads", () => {
    for (const n of [1, 7, 10240, 300_001]) {
      const g = randoms(n, n).map((v, i) => (i % 97 === 0 ? v * 400 : v * 8));
      const u = randoms(n, n + 1);
      const want = siluMulInPlace(g.slice(), u);
      for (const be of [two, plain]) {
        const got = be.siluMul(g.slice(), u);
        for (let i = 0; i < n; i++) {
          const tol = 4e-7 * Math.abs(want[i]) + 1e-30;
          assert.ok(Math.abs(got[i] - want[i]) <= tol, `n=${n} i=${i}: ${got[i]} vs ${want[i]} (g ${g[i]})`);
        }
      }
    }
  });
});
