/** Hooks: reading attention probabilities, dropping rows (FrameFusion-style), replacing hidden rows. */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import type { AttentionSlice, ForwardHooks } from "../../src/models/llm/hooks.js";
import type { LanguageModel } from "../../src/models/llm/language-model.js";
import { golden, loadModel, maxAbsDiff } from "./fixtures.js";

let m: LanguageModel;
const tokens = golden("4.5").text_logits.tokens;
const N = tokens.length;

before(async () => {
  m = await loadModel("4.5");
});

interface Seen { layer: number; probs: Float32Array; nQ: number; nKV: number; at: AttentionSlice }

function recorder(layers: number[]): { hooks: ForwardHooks; seen: Seen[] } {
  const seen: Seen[] = [];
  return {
    seen,
    hooks: {
      wantsAttention: (l) => layers.includes(l),
      attention: (layer, probs, nQ, nKV, at) => seen.push({ layer, probs: probs.slice(), nQ, nKV, at }),
    },
  };
}

test("(a) attention probabilities: rows sum to 1, causal zeros, chunks cover every row, same as one chunk", () => {
  const { nHeads } = m.config;
  const one = recorder([0, 1]);
  m.forward({ kind: "tokens", ids: tokens }, m.newCache(), { hooks: one.hooks });
  assert.equal(one.seen.length, 2);
  for (const s of one.seen) {
    assert.equal(s.nQ, N);
    assert.equal(s.nKV, N);
    assert.equal(s.probs.length, nHeads * N * N);
    for (let h = 0; h < nHeads; h++) {
      for (let i = 0; i < N; i++) {
        let sum = 0;
        for (let j = 0; j < N; j++) {
          const p = s.probs[(h * N + i) * N + j];
          if (s.at.kvPositions[j] > s.at.qPositions[i]) assert.equal(p, 0, `future key ${j} of query ${i}`);
          else assert.ok(p > 0);
          sum += p;
        }
        assert.ok(Math.abs(sum - 1) < 1e-6, `row sum ${sum}`);
      }
    }
  }

  // chunked: layer 1 only, 5 rows at a time; stitched back they equal the single-chunk probabilities
  const chunked = recorder([1]);
  m.forward({ kind: "tokens", ids: tokens }, m.newCache(), { hooks: chunked.hooks, chunkSize: 5 });
  assert.deepEqual(chunked.seen.map((s) => s.at.qStart), [0, 5, 10, 15, 20]);
  const full = one.seen[1].probs;
  for (const s of chunked.seen) {
    for (let h = 0; h < nHeads; h++) {
      for (let i = 0; i < s.nQ; i++) {
        const got = s.probs.subarray((h * s.nQ + i) * N, (h * s.nQ + i + 1) * N);
        const want = full.subarray((h * N + s.at.qStart + i) * N, (h * N + s.at.qStart + i + 1) * N);
        assert.ok(maxAbsDiff(got, want) <= 1e-6);
      }
    }
  }

  // decoding: one query row against the whole cache
  const cache = m.newCache();
  m.forward({ kind: "tokens", ids: tokens }, cache, { logits: "none" });
  const dec = recorder([0]);
  m.forward({ kind: "tokens", ids: [5] }, cache, { hooks: dec.hooks });
  assert.equal(dec.seen[0].nQ, 1);
  assert.equal(dec.seen[0].nKV, N + 1);
  assert.deepEqual([...dec.seen[0].at.qPositions], [N]);
});

const dropped = [6, 7, 8, 9, 10, 11];
const keep = Int32Array.from({ length: N }, (_, i) => i).filter((i) => !dropped.includes(i));

test("(b) dropping rows in layer 0 after attention: later layers hold fewer rows, positions kept, decode continues", () => {
  const nV = m.config.nVocab;
  const hooks: ForwardHooks = { afterAttention: (s) => (s.layer === 0 ? { keep } : undefined) };
  const baseline = m.forward({ kind: "tokens", ids: tokens }, m.newCache(), { logits: "all" }).logits!;

  const run = () => {
    const cache = m.newCache();
    const r = m.forward({ kind: "tokens", ids: tokens }, cache, { logits: "all", hooks });
    const next = m.forward({ kind: "tokens", ids: [42] }, cache, { logits: "last" });
    return { cache, r, next };
  };
  const { cache, r, next } = run();
  assert.deepEqual([...r.positions!], [...keep]);
  assert.equal(r.logits!.length, keep.length * nV);
  // rows before the first dropped one never saw it: unchanged; rows after it attend to fewer keys in layer 1
  assert.ok(maxAbsDiff(r.logits!.subarray(0, 6 * nV), baseline.subarray(0, 6 * nV)) <= 1e-6);
  assert.ok(maxAbsDiff(r.logits!.subarray(6 * nV, 7 * nV), baseline.subarray(12 * nV, 13 * nV)) > 1e-4);
  // layer 0 keeps every row (its attention used them); layer 1 only the kept rows; decode continues at N
  assert.equal(cache.length(0), N + 1);
  assert.equal(cache.length(1), keep.length + 1);
  assert.deepEqual([...cache.positions(1)], [...keep, N]);
  assert.equal(cache.positions(0)[N], N);
  assert.equal(cache.nextPosition, N + 1);
  assert.deepEqual([...next.positions!], [N]);
  assert.ok(next.logits!.every(Number.isFinite));
  // deterministic
  const again = run();
  assert.equal(maxAbsDiff(again.r.logits!, r.logits!), 0);
  assert.equal(maxAbsDiff(again.next.logits!, next.logits!), 0);
});

test("(b') dropping rows before layer 0 equals feeding only the kept tokens at their original positions", () => {
  const cache = m.newCache();
  const viaHook = m.forward({ kind: "tokens", ids: tokens }, cache, { logits: "all", hooks: { beforeLayers: () => ({ keep }) } });
  const manualCache = m.newCache();
  const manual = m.forward({ kind: "tokens", ids: [...keep].map((i) => tokens[i]) }, manualCache, { logits: "all", positions: keep });
  assert.ok(maxAbsDiff(viaHook.logits!, manual.logits!) <= 1e-6);
  for (let l = 0; l < m.config.nLayers; l++) assert.equal(cache.length(l), keep.length);
  assert.equal(cache.nextPosition, N, "decode continues after the original sequence");
  const a = m.forward({ kind: "tokens", ids: [42] }, cache).logits!;
  const b = m.forward({ kind: "tokens", ids: [42] }, manualCache, { positions: Int32Array.of(N) }).logits!;
  assert.ok(maxAbsDiff(a, b) <= 1e-6);
});

test("(b'') dropping rows after the last layer's attention leaves the kept rows' logits unchanged", () => {
  const nV = m.config.nVocab;
  const last = m.config.nLayers - 1;
  const baseline = m.forward({ kind: "tokens", ids: tokens }, m.newCache(), { logits: "all" }).logits!;
  const r = m.forward({ kind: "tokens", ids: tokens }, m.newCache(), { logits: "all", hooks: { afterAttention: (s) => (s.layer === last ? { keep } : undefined) } });
  keep.forEach((row, i) => assert.ok(maxAbsDiff(r.logits!.subarray(i * nV, (i + 1) * nV), baseline.subarray(row * nV, (row + 1) * nV)) <= 1e-6));
});

test("(c) replacing hidden rows changes outputs from that row on, and only causally", () => {
  const nV = m.config.nVocab;
  const e = m.config.nEmbd;
  const baseline = m.forward({ kind: "tokens", ids: tokens }, m.newCache(), { logits: "all" }).logits!;
  const all = Int32Array.from({ length: N }, (_, i) => i);
  const hooks: ForwardHooks = {
    afterLayer: (s) => {
      if (s.layer !== 0) return;
      const hidden = s.hidden.slice();
      hidden.fill(0.5, 10 * e, 11 * e); // row 10 replaced
      return { keep: all, hidden };
    },
  };
  const r = m.forward({ kind: "tokens", ids: tokens }, m.newCache(), { logits: "all", hooks });
  assert.ok(maxAbsDiff(r.logits!.subarray(0, 10 * nV), baseline.subarray(0, 10 * nV)) <= 1e-6);
  for (const row of [10, 11, 23]) {
    assert.ok(maxAbsDiff(r.logits!.subarray(row * nV, (row + 1) * nV), baseline.subarray(row * nV, (row + 1) * nV)) > 1e-3, `row ${row}`);
  }
  // a merge: row 5 becomes the mean of rows 4 and 5, row 4 leaves
  const merged = m.forward({ kind: "tokens", ids: tokens }, m.newCache(), {
    logits: "last",
    hooks: {
      afterAttention: (s) => {
        if (s.layer !== 0) return;
        const k = all.filter((i) => i !== 4);
        const hidden = new Float32Array(k.length * e);
        k.forEach((row, i) => hidden.set(s.hidden.subarray(row * e, (row + 1) * e), i * e));
        for (let j = 0; j < e; j++) hidden[4 * e + j] = (s.hidden[4 * e + j] + s.hidden[5 * e + j]) / 2;
        return { keep: k, hidden };
      },
    },
  });
  assert.deepEqual([...merged.positions!], [N - 1]);
  assert.ok(maxAbsDiff(merged.logits!, baseline.subarray((N - 1) * nV)) > 1e-4);
});

test("hook mistakes are loud: keep not ascending, out of range, hidden of the wrong size", () => {
  const bad = (edit: { keep: Int32Array; hidden?: Float32Array }, re: RegExp) =>
    assert.throws(() => m.forward({ kind: "tokens", ids: tokens.slice(0, 4) }, m.newCache(), { hooks: { afterLayer: () => edit } }), re);
  bad({ keep: Int32Array.of(1, 0) }, /strictly ascending/);
  bad({ keep: Int32Array.of(0, 4) }, /not a row index in \[0, 4\)/);
  bad({ keep: Int32Array.of(0, 1), hidden: new Float32Array(3) }, /hidden has 3 values/);
});

test("without wantsAttention, the attention hook gets every layer; with it, only the layers asked for", () => {
  const layers: number[] = [];
  m.forward({ kind: "tokens", ids: tokens.slice(0, 3) }, m.newCache(), { hooks: { attention: (l) => layers.push(l) } });
  assert.deepEqual(layers, [0, 1]);
  layers.length = 0;
  m.forward({ kind: "tokens", ids: tokens.slice(0, 3) }, m.newCache(), { hooks: { wantsAttention: (l) => l === 1, attention: (l) => layers.push(l) } });
  assert.deepEqual(layers, [1]);
});
