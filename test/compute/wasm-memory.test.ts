import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Arena } from "../../src/compute/wasm/arena.js";
import { createWasmBackend } from "../../src/compute/wasm/index.js";
import { GGMLType } from "../../src/formats/gguf/ggml-types.js";
import { UserError } from "../../src/errors.js";
import { randoms, randomWeightBytes, referenceMatmul, quantizedActivations, relError } from "./wasm-helpers.js";

describe("WasmBackend memories", () => {
  it("places weights in further memories when one is full, and each computes correctly", async () => {
    // 4 MiB memories, 1 MiB kept for activations: six 1.1 MiB Q8_0 matrices need at least three
    const be = await createWasmBackend({ threads: 2, memoryBytes: 4 << 20, reserveBytes: 1 << 20 });
    try {
      const rows = 512, cols = 2048, type = GGMLType.Q8_0;
      const mats = [];
      for (let i = 0; i < 6; i++) {
        const bytes = randomWeightBytes(type, rows, cols, 100 + i);
        mats.push({ bytes, w: await be.createWeight(type, rows, cols, (d) => d.set(bytes)) });
      }
      assert.ok(be.memories >= 3, `${be.memories} memories`);
      const x = randoms(3 * cols, 7);
      const xq = quantizedActivations(x, 32);
      for (const { bytes, w } of mats) {
        assert.ok(relError(be.matmul(w, x, 3), referenceMatmul(type, bytes, rows, cols, xq, 3)) < 2e-5);
        assert.equal(be.getRows(w, [rows - 1]).length, cols);
      }
      // weights created concurrently land in distinct blocks
      const more = await Promise.all([0, 1, 2].map(async (i) => {
        const bytes = randomWeightBytes(type, rows, cols, 200 + i);
        return { bytes, w: await be.createWeight(type, rows, cols, async (d) => { await new Promise((r) => setTimeout(r, 5 * (3 - i))); d.set(bytes); }) };
      }));
      for (const { bytes, w } of more) {
        assert.ok(relError(be.matmul(w, x, 3), referenceMatmul(type, bytes, rows, cols, xq, 3)) < 2e-5);
      }
    } finally {
      await be.dispose();
    }
  });

  it("refuses a tensor larger than one memory with a named error", async () => {
    const be = await createWasmBackend({ threads: 1, memoryBytes: 1 << 20 });
    try {
      await assert.rejects(be.createWeight(GGMLType.F32, 1024, 1024, () => {}), (e: unknown) => e instanceof UserError && e.code === "too_large");
    } finally {
      await be.dispose();
    }
  });

  it("validates its options", async () => {
    await assert.rejects(createWasmBackend({ threads: 0 }), /positive integer/);
    await assert.rejects(createWasmBackend({ memoryBytes: 1000 }), /multiple of 64 KiB/);
  });
});

describe("Arena", () => {
  it("allocates first fit, coalesces on release and grows the memory on demand", () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 8, shared: true });
    const arena = new Arena(memory, 1024, 8 * 65536);
    const a = arena.alloc(100)!, b = arena.alloc(70000)!, c = arena.alloc(64)!;
    assert.equal(a, 1024);
    assert.equal(a % 64, 0);
    assert.ok(b >= a + 128 && c >= b + 70000);
    assert.ok(memory.buffer.byteLength >= c + 64);
    arena.release(b);
    assert.equal(arena.alloc(60000), b); // reuses the hole
    arena.release(a);
    arena.release(c);
    assert.equal(arena.alloc(8 * 65536), undefined);
    assert.ok(arena.fits(300000));
    assert.throws(() => arena.release(12345), /not allocated/);
  });
});

describe("WasmBackend allocations", () => {
  it("frees a weight's block when its fill fails, and allocF32 respects the activation reserve", async () => {
    const be = await createWasmBackend({ threads: 1, memoryBytes: 4 << 20, reserveBytes: 1 << 20 });
    try {
      await assert.rejects(be.createWeight(GGMLType.F32, 512, 1024, () => { throw new Error("disk gone"); }), /disk gone/);
      // the 2 MiB block is free again: the same weight fits in the first memory
      await be.createWeight(GGMLType.F32, 512, 1024, () => {});
      assert.equal(be.memories, 1);
      const big = be.allocF32(600_000); // 2.4 MB would cut into the reserve: plain memory
      assert.equal(big.buffer instanceof SharedArrayBuffer, false);
      const small = be.allocF32(1000);
      assert.equal(small.buffer instanceof SharedArrayBuffer, true);
    } finally {
      await be.dispose();
    }
  });
});
