import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { authorsBuckets, llamacppBuckets, positionIds, positionIds1d } from "../../src/models/vision/position-ids.js";
import { HF, readI32, readJson } from "./helpers.js";

const golden = readJson(join(HF, "golden.json")).position_ids;

test("authors' float32 bucketize: every bucket vector n = 1..256", () => {
  const vectors = golden.bucket_vectors as Record<string, number[]>;
  assert.ok(Object.keys(vectors).length >= 256);
  for (const [n, expected] of Object.entries(vectors)) {
    assert.deepEqual(Array.from(authorsBuckets(Number(n))), expected, `n = ${n}`);
  }
});

test("authors' position ids: every full (h, w) array", () => {
  for (const a of golden.full_arrays as { h: number; w: number; file: string }[]) {
    const expected = readI32(join(HF, a.file));
    assert.deepEqual(positionIds(a.h, a.w, "authors"), expected, `${a.h}x${a.w}`);
  }
});

test("llama.cpp's floor(70i/n) differs from the authors exactly where the golden says", () => {
  const mismatches = golden.mismatch_vs_floor_70i_over_n["entries_[i,authors,formula]"] as Record<string, [number, number, number][]>;
  for (let n = 1; n <= 256; n++) {
    const a = authorsBuckets(n);
    const f = llamacppBuckets(n);
    const listed = new Map((mismatches[String(n)] ?? []).map(([i, au, fo]) => [i, [au, fo]]));
    for (let i = 0; i < n; i++) {
      if (listed.has(i)) assert.deepEqual([a[i], f[i]], listed.get(i), `n=${n} i=${i}`);
      else assert.equal(a[i], f[i], `n=${n} i=${i}`);
    }
  }
  assert.deepEqual(Array.from(positionIds(1, 25, "llamacpp").slice(4, 6)), [11, 14]);
  assert.deepEqual(Array.from(positionIds(1, 25, "authors").slice(4, 6)), [11, 13]);
});

test("V2.5 path: 1-D buckets in row 0", () => {
  const ids = positionIds1d(1035);
  assert.equal(ids.length, 1035);
  assert.equal(ids[0], 0);
  assert.ok(ids[1034] <= 69);
  assert.deepEqual(ids, positionIds(1, 1035, "authors"));
});
