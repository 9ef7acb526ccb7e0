import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createWasmBackend, type WasmBackend } from "../../src/compute/wasm/index.js";
import { GGMLType, ggmlTypeName } from "../../src/formats/gguf/ggml-types.js";
import { randoms, randomWeightBytes } from "./wasm-helpers.js";

// The fused feed-forward block (swiglu.ts) is the same arithmetic as matmul, siluMul, matmul: bit for
// bit, for every activation format (Q8_0's 7-bit many-row kernel included), with the hidden rows split
// into several L2-sized chunks for the down product (n = 300 rows of 2560 > 512 KiB).
const E = 256;
const FF = 2560;

describe("WasmBackend.swiglu", () => {
  let two: WasmBackend, plain: WasmBackend;
  before(async () => {
    two = await createWasmBackend({ threads: 2 });
    plain = await createWasmBackend({ threads: 1, relaxedSimd: false });
  });
  after(async () => {
    await Promise.all([two.dispose(), plain.dispose()]);
  });

  for (const [type, manyRows] of [[GGMLType.Q4_K, undefined], [GGMLType.Q8_0, "int7"], [GGMLType.Q4_0, undefined], [GGMLType.F16, undefined]] as const) {
    it(`${ggmlTypeName(type)}${manyRows ? ` (${manyRows})` : ""}: equals matmul · siluMul · matmul for n = 1, 16, 300`, async () => {
      for (const be of [two, plain]) {
        const make = (rows: number, cols: number, seed: number) => {
          const bytes = randomWeightBytes(type, rows, cols, seed);
          return be.createWeight(type, rows, cols, (d) => d.set(bytes), manyRows ? { manyRows } : undefined);
        };
        const gate = await make(FF, E, 1), up = await make(FF, E, 2), down = await make(E, FF, 3);
        for (const n of [1, 16, 300]) {
          const x = randoms(n * E, n);
          const want = be.matmul(down, be.siluMul(be.matmul(gate, x, n), be.matmul(up, x, n)), n);
          const out = new Float32Array(n * E + 3).fill(7);
          const got = be.swiglu(gate, up, down, x, n, out);
          assert.equal(got, out);
          assert.deepEqual(got.subarray(0, n * E), want, `n=${n}`);
          assert.deepEqual([...out.subarray(n * E)], [7, 7, 7], "nothing written past n rows");
        }
      }
    });
  }

  it("refuses weights that do not chain", async () => {
    const w = await two.createWeight(GGMLType.F32, 8, 4, () => {});
    assert.throws(() => two.swiglu(w, w, w, new Float32Array(4), 1), /do not chain/);
  });
});
