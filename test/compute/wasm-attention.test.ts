import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { attentionJs } from "../../src/compute/attention-js.js";
import type { AttentionArgs } from "../../src/compute/backend.js";
import { createWasmBackend, type WasmBackend } from "../../src/compute/wasm/index.js";
import { randoms, relError } from "./wasm-helpers.js";

interface Case {
  name: string;
  nQ: number; nKV: number; nHeads: number; nKVHeads: number; headDim: number;
  causal?: boolean; mask?: boolean; probs?: boolean; strides?: boolean;
}

function build(c: Case, seed: number): AttentionArgs {
  const qStride = c.strides ? c.nHeads * c.headDim + 8 : undefined;
  const kvStride = c.strides ? c.nKVHeads * c.headDim + 4 : undefined;
  const a: AttentionArgs = {
    q: randoms(c.nQ * (qStride ?? c.nHeads * c.headDim), seed),
    k: randoms(c.nKV * (kvStride ?? c.nKVHeads * c.headDim), seed + 1),
    v: randoms(c.nKV * (kvStride ?? c.nKVHeads * c.headDim), seed + 2),
    nQ: c.nQ, nKV: c.nKV, nHeads: c.nHeads, nKVHeads: c.nKVHeads, headDim: c.headDim,
    scale: 1 / Math.sqrt(c.headDim), qStride, kvStride,
  };
  if (c.causal) {
    // queries are the last nQ positions; a gap in the key positions as after dropped rows
    a.kPos = Int32Array.from({ length: c.nKV }, (_, j) => j + (j > 3 ? 2 : 0));
    a.qPos = Int32Array.from({ length: c.nQ }, (_, i) => a.kPos![c.nKV - c.nQ + i]);
  }
  if (c.mask) a.keyMask = Uint8Array.from({ length: c.nKV }, (_, j) => (j % 5 === 1 ? 1 : 0));
  return a;
}

const CASES: Case[] = [
  { name: "full attention (vision)", nQ: 37, nKV: 37, nHeads: 4, nKVHeads: 4, headDim: 72 },
  { name: "causal by positions with GQA", nQ: 19, nKV: 23, nHeads: 8, nKVHeads: 2, headDim: 64, causal: true },
  { name: "decode step", nQ: 1, nKV: 130, nHeads: 8, nKVHeads: 4, headDim: 128, causal: true },
  { name: "key mask and probabilities", nQ: 6, nKV: 11, nHeads: 3, nKVHeads: 1, headDim: 36, mask: true, probs: true, causal: true },
  { name: "row strides and odd head size", nQ: 5, nKV: 9, nHeads: 2, nKVHeads: 2, headDim: 13, strides: true, probs: true },
];

describe("WasmBackend.attention", () => {
  let two: WasmBackend, one: WasmBackend;
  before(async () => {
    two = await createWasmBackend({ threads: 2 });
    one = await createWasmBackend({ threads: 1 });
  });
  after(async () => {
    await Promise.all([two.dispose(), one.dispose()]);
  });

  for (const [i, c] of CASES.entries()) {
    it(`${c.name} matches attentionJs; threads 1 and 2 agree`, () => {
      const a = build(c, 50 + 10 * i);
      const probsLen = c.nHeads * c.nQ * c.nKV;
      const ref = attentionJs({ ...a, probs: c.probs ? new Float32Array(probsLen) : undefined });
      const refProbs = new Float32Array(probsLen);
      attentionJs({ ...a, probs: refProbs });
      const probs = c.probs ? new Float32Array(probsLen) : undefined;
      const y = two.attention({ ...a, probs });
      assert.ok(relError(y, ref) < 1e-5, `${relError(y, ref)}`);
      if (probs) assert.ok(relError(probs, refProbs) < 1e-5, `probs ${relError(probs, refProbs)}`);
      assert.deepEqual(one.attention({ ...a }), y);
    });
  }

  it("the plain SIMD128 build gives the same results", async () => {
    const plain = await createWasmBackend({ threads: 1, relaxedSimd: false });
    try {
      for (const [i, c] of CASES.entries()) {
        const a = build(c, 70 + 10 * i);
        assert.ok(relError(plain.attention({ ...a }), attentionJs(a)) < 1e-5, c.name);
      }
    } finally {
      await plain.dispose();
    }
  });

  it("gives zeros for a query that sees no key, and writes into `out`", () => {
    const a = build({ name: "", nQ: 2, nKV: 3, nHeads: 2, nKVHeads: 1, headDim: 8 }, 99);
    a.keyMask = new Uint8Array([1, 1, 1]);
    const out = new Float32Array(2 * 16).fill(5);
    const probs = new Float32Array(2 * 2 * 3).fill(5);
    assert.equal(two.attention({ ...a, out, probs }), out);
    assert.deepEqual([...out], new Array(32).fill(0));
    assert.deepEqual([...probs], new Array(12).fill(0));
  });
});

describe("WasmBackend.allocF32", () => {
  it("gives arrays attention reads in place, with the same results", async () => {
    const be = await createWasmBackend({ threads: 2 });
    try {
      const a = build({ name: "", nQ: 1, nKV: 40, nHeads: 8, nKVHeads: 2, headDim: 64, causal: true }, 7);
      const k = be.allocF32(a.k.length + 16), v = be.allocF32(a.v.length);
      assert.ok(k.every((x) => x === 0));
      k.set(a.k);
      v.set(a.v);
      const out = be.allocF32(8 * 64);
      const y = be.attention({ ...a, k: k.subarray(0, a.k.length), v, out });
      assert.equal(y, out);
      assert.ok(relError(y, attentionJs(a)) < 1e-5);
      be.freeF32(k);
      be.freeF32(v);
      be.freeF32(out);
      be.freeF32(new Float32Array(4)); // not ours: ignored
      const again = be.allocF32(a.k.length);
      assert.ok(again.every((x) => x === 0));
    } finally {
      await be.dispose();
    }
  });
});
