/** Forward-pass invariants: chunking, decoding, embedding input, positions, cache operations, errors. */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { isUserError } from "../../src/errors.js";
import type { LanguageModel } from "../../src/models/llm/language-model.js";
import { argmax, golden, loadModel, maxAbsDiff, VERSIONS } from "./fixtures.js";

const models = new Map<string, LanguageModel>();
const tokens = golden("4.5").text_logits.tokens;

before(async () => {
  for (const v of VERSIONS) models.set(v, await loadModel(v));
});

function prefillAll(m: LanguageModel, ids: number[], chunkSize?: number): Float32Array {
  return m.forward({ kind: "tokens", ids }, m.newCache(), { logits: "all", chunkSize }).logits!;
}

for (const v of VERSIONS) {
  test(`minicpmv-${v}: chunked prefill gives the same logits as one chunk`, () => {
    const m = models.get(v)!;
    const ids = golden(v).text_logits.tokens;
    const one = prefillAll(m, ids);
    for (const chunk of [1, 5, 7, 23]) {
      const d = maxAbsDiff(prefillAll(m, ids, chunk), one);
      assert.ok(d <= 1e-6, `chunk ${chunk}: ${d}`);
    }
  });

  test(`minicpmv-${v}: decoding one token at a time gives the prefill logits`, () => {
    const m = models.get(v)!;
    const ids = golden(v).text_logits.tokens;
    const all = prefillAll(m, ids);
    const cache = m.newCache();
    const nV = m.config.nVocab;
    let worst = 0;
    for (let t = 0; t < ids.length; t++) {
      const r = m.forward({ kind: "tokens", ids: [ids[t]] }, cache, { logits: "last" });
      assert.deepEqual([...r.positions!], [t]);
      worst = Math.max(worst, maxAbsDiff(r.logits!, all.subarray(t * nV, (t + 1) * nV)));
    }
    assert.equal(cache.nextPosition, ids.length);
    assert.ok(worst <= 1e-5, `decode vs prefill: ${worst}`);
  });

  test(`minicpmv-${v}: embedding rows in give the same logits as token ids (embedding scale applies to both)`, () => {
    const m = models.get(v)!;
    const ids = golden(v).text_logits.tokens;
    const rows = m.embedTokens(ids);
    const r = m.forward({ kind: "embeddings", rows, n: ids.length }, m.newCache(), { logits: "all" });
    assert.ok(maxAbsDiff(r.logits!, prefillAll(m, ids)) <= 1e-6);
  });
}

test("a prompt split over several calls continues at the right positions", () => {
  const m = models.get("4.5")!;
  const nV = m.config.nVocab;
  const all = prefillAll(m, tokens);
  const cache = m.newCache();
  m.forward({ kind: "tokens", ids: tokens.slice(0, 10) }, cache, { logits: "none" });
  assert.equal(cache.nextPosition, 10);
  const r = m.forward({ kind: "tokens", ids: tokens.slice(10) }, cache, { logits: "all", chunkSize: 4 });
  assert.ok(maxAbsDiff(r.logits!, all.subarray(10 * nV)) <= 1e-5);
  for (let l = 0; l < m.config.nLayers; l++) assert.equal(cache.length(l), tokens.length);
});

test("explicit positions: the defaults reproduce, other positions change RoPE", () => {
  const m = models.get("2.5")!;
  const ids = tokens.slice(0, 8);
  const base = prefillAll(m, ids);
  const same = m.forward({ kind: "tokens", ids }, m.newCache(), { logits: "all", positions: Int32Array.from(ids, (_, i) => i) });
  assert.equal(maxAbsDiff(same.logits!, base), 0);
  const cache = m.newCache();
  const shifted = m.forward({ kind: "tokens", ids }, cache, { logits: "all", positions: Int32Array.from(ids, (_, i) => i * 3) });
  assert.ok(maxAbsDiff(shifted.logits!, base) > 1e-3);
  assert.equal(cache.nextPosition, 22);
});

test("truncate rewinds the cache: re-feeding the tail gives the same logits", () => {
  const m = models.get("4.0")!;
  const nV = m.config.nVocab;
  const cache = m.newCache();
  const first = m.forward({ kind: "tokens", ids: tokens }, cache, { logits: "all" }).logits!;
  cache.truncate(12);
  assert.equal(cache.nextPosition, 12);
  assert.equal(cache.length(0), 12);
  const again = m.forward({ kind: "tokens", ids: tokens.slice(12) }, cache, { logits: "all" }).logits!;
  assert.ok(maxAbsDiff(again, first.subarray(12 * nV)) <= 1e-5);
  cache.clear();
  assert.equal(cache.nextPosition, 0);
  assert.equal(cache.length(1), 0);
});

test("greedy text-only generation is deterministic and matches the prefill argmax chain", () => {
  const m = models.get("4.5")!;
  const run = () => {
    const cache = m.newCache();
    let logits = m.forward({ kind: "tokens", ids: tokens }, cache).logits!;
    const out: number[] = [];
    for (let i = 0; i < 12; i++) {
      const id = argmax(logits);
      out.push(id);
      logits = m.forward({ kind: "tokens", ids: [id] }, cache).logits!;
    }
    return out;
  };
  const a = run();
  assert.deepEqual(run(), a);
  // the same tokens, re-scored in one prefill, are each the argmax of the previous position
  const all = prefillAll(m, [...tokens, ...a]);
  const nV = m.config.nVocab;
  for (let i = 0; i < a.length; i++) assert.equal(argmax(all, (tokens.length - 1 + i) * nV, nV), a[i]);
});

function assertUserError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => isUserError(e) && pattern.test(e.message));
}

test("user mistakes: token ids out of range, wrong row counts, a full cache", () => {
  const m = models.get("4.5")!;
  const cache = m.newCache(30);
  assertUserError(() => m.forward({ kind: "tokens", ids: [1, 361] }, cache), /token id 361 .*out of range.*361 tokens/);
  assertUserError(() => m.forward({ kind: "tokens", ids: [-1] }, cache), /token id -1/);
  assertUserError(() => m.forward({ kind: "embeddings", rows: new Float32Array(10), n: 1 }, cache), /do not hold 1 rows/);
  assertUserError(() => m.forward({ kind: "tokens", ids: [1, 2] }, cache, { positions: new Int32Array(3) }), /3 positions given for 2 rows/);
  assert.equal(cache.length(0), 0, "a rejected call leaves the cache untouched");
  m.forward({ kind: "tokens", ids: tokens }, cache, { logits: "none" });
  assertUserError(() => m.forward({ kind: "tokens", ids: tokens.slice(0, 7) }, cache), /at most 30 rows/);
  assert.equal(cache.length(0), 24);
  assert.equal(cache.nextPosition, 24);
});
