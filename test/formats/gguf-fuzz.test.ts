import { test } from "node:test";
import assert from "node:assert/strict";
import { readGGUF } from "../../src/formats/gguf/reader.js";
import { writeGGUF } from "../../src/formats/gguf/writer.js";
import { GGUFValueType as T } from "../../src/formats/gguf/types.js";
import { GGMLType } from "../../src/formats/gguf/ggml-types.js";
import { quantize } from "../../src/formats/gguf/quantize.js";
import type { ByteSource } from "../../src/io/byte-source.js";
import { memorySink } from "../../src/io/byte-sink.js";
import { UserError } from "../../src/errors.js";
import { prng, testSignal } from "./fixture-files.js";

/** A small valid GGUF exercising every structure the reader parses. */
async function seedFile(): Promise<Uint8Array> {
  const sink = memorySink("seed.gguf");
  const x = testSignal(11, 512);
  await writeGGUF(sink, {
    metadata: [
      { key: "general.architecture", type: T.STRING, value: "llama" },
      { key: "llama.block_count", type: T.UINT32, value: 2 },
      { key: "llama.rope.freq_base", type: T.FLOAT32, value: 10000 },
      { key: "big", type: T.UINT64, value: 1n << 40n },
      { key: "neg", type: T.INT64, value: -5n },
      { key: "flag", type: T.BOOL, value: true },
      { key: "tokenizer.ggml.tokens", type: T.ARRAY, value: { itemType: T.STRING, items: ["a", "bc", "<s>"] } },
      { key: "tokenizer.ggml.scores", type: T.ARRAY, value: { itemType: T.FLOAT32, items: [0, -1, -2] } },
      { key: "nested", type: T.ARRAY, value: { itemType: T.ARRAY, items: [{ itemType: T.INT16, items: [1, -1] }] } },
      { key: "general.alignment", type: T.UINT32, value: 32 },
    ],
    tensors: [
      { name: "token_embd.weight", dims: [256, 2], type: GGMLType.Q4_K, data: quantize(GGMLType.Q4_K, x) },
      { name: "norm", dims: [8], type: GGMLType.F32, data: new Uint8Array(32) },
      { name: "q8", dims: [32, 2], type: GGMLType.Q8_0, data: quantize(GGMLType.Q8_0, x.subarray(0, 64)) },
      { name: "f16", dims: [3, 1, 1, 2], type: GGMLType.F16, data: new Uint8Array(12) },
    ],
  });
  return sink.bytes();
}

/** bytesSource with bookkeeping: a reader must never ask past the end or for absurd amounts. */
function watchedSource(bytes: Uint8Array): ByteSource & { requested: number } {
  const src = {
    name: "fuzz.gguf",
    size: bytes.byteLength,
    requested: 0,
    async read(offset: number, length: number) {
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > bytes.byteLength) {
        throw new Error(`read(${offset}, ${length}) outside a ${bytes.byteLength}-byte file`);
      }
      src.requested += length;
      return bytes.subarray(offset, offset + length);
    },
  };
  return src;
}

const INTERESTING_U64 = [0n, 1n, 2n, 3n, 4n, 5n, 7n, 8n, 9n, 12n, 13n, 31n, 32n, 255n, 256n, 1n << 31n, (1n << 32n) - 1n, 1n << 32n,
  1n << 53n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n];
const INTERESTING_U32 = [0, 1, 2, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 16, 23, 24, 30, 31, 39, 0x7fffffff, 0xffffffff];

type Outcome = "parsed" | "rejected";

async function attempt(bytes: Uint8Array, what: string): Promise<Outcome> {
  const src = watchedSource(bytes);
  try {
    const g = await readGGUF(src);
    for (const t of g.tensors) {
      assert.ok(t.offset >= g.dataOffset && t.offset + t.byteLength <= bytes.byteLength, `${what}: tensor ${t.name} out of the file`);
      assert.ok(t.dims.length >= 1 && t.dims.length <= 4, `${what}: dims`);
    }
    assert.ok(src.requested <= 4 * bytes.byteLength + (1 << 20), `${what}: read ${src.requested} bytes of a ${bytes.byteLength}-byte file`);
    return "parsed";
  } catch (e) {
    if (e instanceof UserError) return "rejected";
    assert.fail(`${what}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
}

test("fuzzed GGUF headers either parse or throw a UserError", { timeout: 120_000 }, async () => {
  const seed = await seedFile();
  assert.equal(await attempt(seed, "seed"), "parsed");
  const rand = prng(20260822);
  const pick = <X>(a: readonly X[]) => a[Math.floor(rand() * a.length)];
  // the header (everything before the first tensor's data) is where parsing can go wrong
  const headerEnd = (await readGGUF(watchedSource(seed))).dataOffset;
  const counts = { parsed: 0, rejected: 0 };
  const count = (o: Outcome) => { counts[o]++; };

  // every truncation point
  for (let n = 0; n < seed.byteLength; n++) count(await attempt(seed.subarray(0, n), `truncated at ${n}`));

  for (let i = 0; i < 4000; i++) {
    const b = seed.slice();
    const v = new DataView(b.buffer);
    const kind = i % 5;
    let what: string;
    if (kind === 0) {
      const flips = 1 + Math.floor(rand() * 4);
      const at: number[] = [];
      for (let k = 0; k < flips; k++) { const p = Math.floor(rand() * headerEnd); b[p] ^= 1 << Math.floor(rand() * 8); at.push(p); }
      what = `bit flips at ${at}`;
    } else if (kind === 1) {
      const p = Math.floor(rand() * headerEnd);
      b[p] = Math.floor(rand() * 256);
      what = `byte ${p} = ${b[p]}`;
    } else if (kind === 2) {
      const p = Math.floor(rand() * (headerEnd - 8));
      const val = pick(INTERESTING_U64);
      v.setBigUint64(p, val, true);
      what = `u64 at ${p} = ${val}`;
    } else if (kind === 3) {
      const p = Math.floor(rand() * (headerEnd - 4));
      const val = pick(INTERESTING_U32);
      v.setUint32(p, val, true);
      what = `u32 at ${p} = ${val}`;
    } else {
      // a mutation plus a truncation
      const p = Math.floor(rand() * headerEnd);
      b[p] ^= 0xff;
      const n = Math.floor(rand() * b.byteLength);
      count(await attempt(b.subarray(0, n), `byte ${p} inverted, truncated at ${n}`));
      continue;
    }
    count(await attempt(b, what));
  }
  // both outcomes must occur, or the mutations are not reaching the parser
  assert.ok(counts.parsed > 100 && counts.rejected > 1000, JSON.stringify(counts));
});

/** A file that claims `size` bytes: `head` followed by zeros, never materialised. */
function sparseSource(head: Uint8Array, size: number): ByteSource & { maxRead: number } {
  const src = {
    name: "huge.gguf",
    size,
    maxRead: 0,
    async read(offset: number, length: number) {
      if (offset < 0 || length < 0 || offset + length > size) throw new Error(`read(${offset}, ${length}) past the end`);
      src.maxRead = Math.max(src.maxRead, length);
      if (length > 1 << 26) throw new Error(`read of ${length} bytes: absurd allocation`);
      const out = new Uint8Array(length);
      if (offset < head.byteLength) out.set(head.subarray(offset, Math.min(head.byteLength, offset + length)));
      return out;
    },
  };
  return src;
}

function header(nTensors: bigint, nKV: bigint, body: (v: DataView, o: number) => number): Uint8Array {
  const b = new Uint8Array(256);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x46554747, true);
  v.setUint32(4, 3, true);
  v.setBigUint64(8, nTensors, true);
  v.setBigUint64(16, nKV, true);
  const end = body(v, 24);
  return b.subarray(0, end);
}

/** Writes key "k" with the given type id; returns the offset after it. */
function key(v: DataView, o: number, type: number): number {
  v.setBigUint64(o, 1n, true);
  v.setUint8(o + 8, 0x6b);
  v.setUint32(o + 9, type, true);
  return o + 13;
}

test("counts and lengths that a huge file could hold are still bounded", { timeout: 30_000 }, async () => {
  const TB = 2 ** 42;
  const cases: [string, Uint8Array, RegExp][] = [
    ["array of 2^33 u8", header(0n, 1n, (v, o) => { o = key(v, o, T.ARRAY); v.setUint32(o, T.UINT8, true); v.setBigUint64(o + 4, 1n << 33n, true); return o + 12; }), /over the limit/],
    ["array of 2^28 bools", header(0n, 1n, (v, o) => { o = key(v, o, T.ARRAY); v.setUint32(o, T.BOOL, true); v.setBigUint64(o + 4, 1n << 28n, true); return o + 12; }), /over the limit/],
    ["2 GiB string", header(0n, 1n, (v, o) => { o = key(v, o, T.STRING); v.setBigUint64(o, 1n << 31n, true); return o + 8; }), /over the limit/],
    ["2^40 metadata entries", header(0n, 1n << 40n, (_v, o) => o), /over the limit|could hold/],
    ["2^18 zero-filled metadata entries", header(0n, 1n << 18n, (_v, o) => o), /appears twice/],
    ["2^30 tensors", header(1n << 30n, 0n, (_v, o) => o), /over the limit/],
    ["zero-filled tensor table", header(1n << 20n, 0n, (_v, o) => o), /dimensions|appears twice/],
    ["tensor of 2^80 elements", header(1n, 0n, (v, o) => {
      v.setBigUint64(o, 1n, true); v.setUint8(o + 8, 0x74); v.setUint32(o + 9, 2, true);
      v.setBigUint64(o + 13, 1n << 40n, true); v.setBigUint64(o + 21, 1n << 40n, true);
      v.setUint32(o + 29, GGMLType.F32, true); v.setBigUint64(o + 33, 0n, true); return o + 41;
    }), /truncated/],
    ["arrays nested 6 deep", header(0n, 1n, (v, o) => {
      o = key(v, o, T.ARRAY);
      for (let d = 0; d < 6; d++) { v.setUint32(o, T.ARRAY, true); v.setBigUint64(o + 4, 1n, true); o += 12; }
      return o;
    }), /nested too deeply/],
  ];
  for (const [what, head, re] of cases) {
    const src = sparseSource(head, TB);
    const t0 = Date.now();
    await assert.rejects(readGGUF(src), (e) => e instanceof UserError && re.test(e.message), what);
    assert.ok(Date.now() - t0 < 5000, `${what}: took ${Date.now() - t0} ms`);
  }
});
