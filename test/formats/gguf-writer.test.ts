import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ggufEntries, writeGGUF, type GGUFWriteEntry, type GGUFWriteTensor } from "../../src/formats/gguf/writer.js";
import { readGGUF } from "../../src/formats/gguf/reader.js";
import { GGUFValueType as T, type GGUFArray } from "../../src/formats/gguf/types.js";
import { GGMLType, ggmlRowBytes } from "../../src/formats/gguf/ggml-types.js";
import { quantize } from "../../src/formats/gguf/quantize.js";
import { bytesSource } from "../../src/io/byte-source.js";
import { memorySink, streamSink } from "../../src/io/byte-sink.js";
import { fileSink } from "../../src/node/file-sink.js";
import { fileSource } from "../../src/node/file-source.js";
import { UserError } from "../../src/errors.js";
import { fixtureBytes, openFixture, testSignal } from "./fixture-files.js";

const arr = (itemType: T, items: GGUFArray["items"]): GGUFArray => ({ itemType, items });

const METADATA: GGUFWriteEntry[] = [
  { key: "general.architecture", type: T.STRING, value: "qwen3" },
  { key: "u8", type: T.UINT8, value: 255 },
  { key: "i8", type: T.INT8, value: -128 },
  { key: "u16", type: T.UINT16, value: 65535 },
  { key: "i16", type: T.INT16, value: -32768 },
  { key: "u32", type: T.UINT32, value: 4294967295 },
  { key: "i32", type: T.INT32, value: -2147483648 },
  { key: "f32", type: T.FLOAT32, value: Math.fround(-1.1e-7) },
  { key: "f64", type: T.FLOAT64, value: Math.PI },
  { key: "bool.t", type: T.BOOL, value: true },
  { key: "bool.f", type: T.BOOL, value: false },
  { key: "str.unicode", type: T.STRING, value: "héllo 世界 🦙\n\0tail" },
  { key: "str.empty", type: T.STRING, value: "" },
  { key: "u64", type: T.UINT64, value: 18446744073709551615n },
  { key: "i64", type: T.INT64, value: -9223372036854775808n },
  { key: "arr.u8", type: T.ARRAY, value: arr(T.UINT8, [0, 1, 255]) },
  { key: "arr.i8", type: T.ARRAY, value: arr(T.INT8, [-1, 127]) },
  { key: "arr.u16", type: T.ARRAY, value: arr(T.UINT16, [7]) },
  { key: "arr.i16", type: T.ARRAY, value: arr(T.INT16, [-7, 8]) },
  { key: "arr.u32", type: T.ARRAY, value: arr(T.UINT32, [1, 2, 3]) },
  { key: "arr.i32", type: T.ARRAY, value: arr(T.INT32, [-3, 0, 3]) },
  { key: "arr.f32", type: T.ARRAY, value: arr(T.FLOAT32, [0.5, Math.fround(0.1), -0]) },
  { key: "arr.f64", type: T.ARRAY, value: arr(T.FLOAT64, [0.1, 1e300]) },
  { key: "arr.bool", type: T.ARRAY, value: arr(T.BOOL, [true, false, true]) },
  { key: "arr.str", type: T.ARRAY, value: arr(T.STRING, ["a", "", "Ġthe", "<|im_end|>"]) },
  { key: "arr.u64", type: T.ARRAY, value: arr(T.UINT64, [0n, 1n << 63n]) },
  { key: "arr.i64", type: T.ARRAY, value: arr(T.INT64, [-1n, 5n]) },
  { key: "arr.empty", type: T.ARRAY, value: arr(T.INT32, []) },
  { key: "arr.nested", type: T.ARRAY, value: arr(T.ARRAY, [arr(T.INT32, [1, 2]), arr(T.STRING, ["x"]), arr(T.ARRAY, [arr(T.BOOL, [true])])]) },
];

function tensors(): { list: GGUFWriteTensor[]; bytes: Map<string, Uint8Array> } {
  const x = testSignal(3, 256 * 6);
  const bytes = new Map<string, Uint8Array>();
  const q4k = quantize(GGMLType.Q4_K, x);
  const q8 = quantize(GGMLType.Q8_0, x.subarray(0, 64 * 3));
  const f32 = new Uint8Array(new Float32Array([1, 2, 3, 4, 5]).buffer);
  const f16 = quantize(GGMLType.F16, x.subarray(0, 14 * 14 * 3 * 2));
  bytes.set("blk.0.attn_q.weight", q4k).set("q8", q8).set("norm", f32).set("v.patch_embd.weight", f16);
  const list: GGUFWriteTensor[] = [
    { name: "blk.0.attn_q.weight", dims: [256, 6], type: GGMLType.Q4_K, data: q4k },
    { name: "q8", dims: [64, 3], type: GGMLType.Q8_0, data: async () => q8 },
    { name: "norm", dims: [5], type: GGMLType.F32, data: async () => (async function* () { yield f32.subarray(0, 3); yield f32.subarray(3); })() },
    { name: "v.patch_embd.weight", dims: [14, 14, 3, 2], type: GGMLType.F16, data: f16 },
  ];
  return { list, bytes };
}

for (const version of [2, 3] as const) {
  for (const alignment of [undefined, 8, 64, 4096]) {
    test(`writer → reader round trip: GGUF v${version}, alignment ${alignment ?? "default"}`, async () => {
      const sink = memorySink("rt.gguf");
      const { list, bytes } = tensors();
      const written = await writeGGUF(sink, { version, metadata: METADATA, tensors: list, alignment });
      assert.equal(sink.closed, true);
      const file = sink.bytes();
      assert.equal(written, file.byteLength);
      const g = await readGGUF(bytesSource("rt.gguf", file));
      const align = alignment ?? 32;
      assert.equal(g.version, version);
      assert.equal(g.alignment, align);
      const expected = METADATA.map((e) => [e.key, { type: e.type, value: e.value }] as const);
      if (align !== 32) expected.push(["general.alignment", { type: T.UINT32, value: align }]);
      assert.deepEqual([...g.metadata], expected);
      assert.equal(g.dataOffset % align, 0);
      assert.deepEqual(g.tensors.map((t) => t.name), list.map((t) => t.name));
      for (const t of g.tensors) {
        const src = list.find((s) => s.name === t.name)!;
        assert.deepEqual(t.dims, src.dims);
        assert.equal(t.type, src.type);
        assert.equal((t.offset - g.dataOffset) % align, 0);
        assert.deepEqual(await g.source.read(t.offset, t.byteLength), bytes.get(t.name));
      }
      // every tensor, the last included, is padded to the alignment
      const last = g.tensors[g.tensors.length - 1];
      assert.equal(file.byteLength, g.dataOffset + Math.ceil((last.offset - g.dataOffset + last.byteLength) / align) * align);
    });
  }
}

for (const name of ["llm-q4_k.gguf", "llm-q8_0.gguf", "llm-f16.gguf"]) {
  test(`re-writing ${name} from its parsed form gives identical bytes`, async () => {
    const g = await readGGUF(await openFixture(`llamacpp/minicpmv-4.5/${name}`));
    const sink = memorySink();
    await writeGGUF(sink, {
      version: g.version as 3,
      metadata: ggufEntries(g.metadata),
      tensors: g.tensors.map((t) => ({ name: t.name, dims: t.dims, type: t.type, data: () => g.source.read(t.offset, t.byteLength) })),
    });
    const original = fixtureBytes(`llamacpp/minicpmv-4.5/${name}`);
    const mine = sink.bytes();
    assert.equal(mine.byteLength, original.byteLength);
    assert.ok(Buffer.from(mine).equals(Buffer.from(original)));
    await g.source.close?.();
  });
}

test("the writer rejects bad descriptions with UserErrors and aborts the sink", async () => {
  const ok = { name: "t", dims: [4], type: GGMLType.F32, data: new Uint8Array(16) };
  const cases: [string, Parameters<typeof writeGGUF>[1], RegExp][] = [
    ["short data", { metadata: [], tensors: [{ ...ok, data: new Uint8Array(12) }] }, /data has 12 bytes, F32 \[4\] needs 16/],
    ["long stream", { metadata: [], tensors: [{ ...ok, data: async () => (async function* () { yield new Uint8Array(10); yield new Uint8Array(10); })() }] }, /longer than the 16 bytes/],
    ["duplicate tensor", { metadata: [], tensors: [ok, ok] }, /"t": appears twice/],
    ["bad block", { metadata: [], tensors: [{ ...ok, type: GGMLType.Q4_0, data: new Uint8Array(0) }] }, /not a multiple of the Q4_0 block/],
    ["zero dim", { metadata: [], tensors: [{ ...ok, dims: [4, 0] }] }, /positive integers/],
    ["five dims", { metadata: [], tensors: [{ ...ok, dims: [4, 1, 1, 1, 1] }] }, /1 to 4/],
    ["long name", { metadata: [], tensors: [{ ...ok, name: "x".repeat(64) }] }, /1\.\.63 bytes/],
    ["u8 range", { metadata: [{ key: "k", type: T.UINT8, value: 256 }], tensors: [] }, /"k": 256 is not a UINT8/],
    ["u64 number", { metadata: [{ key: "k", type: T.UINT64, value: -1 }], tensors: [] }, /not a UINT64/],
    ["string type", { metadata: [{ key: "k", type: T.STRING, value: 3 }], tensors: [] }, /not a string/],
    ["array item", { metadata: [{ key: "k", type: T.ARRAY, value: arr(T.INT16, [1, 1e6]) }], tensors: [] }, /"k"\[1\]: 1000000 is not a INT16/],
    ["dup key", { metadata: [{ key: "k", type: T.BOOL, value: true }, { key: "k", type: T.BOOL, value: true }], tensors: [] }, /"k": appears twice/],
    ["alignment", { metadata: [], tensors: [], alignment: 48 }, /48 is not a power of two/],
    ["alignment type", { metadata: [{ key: "general.alignment", type: T.UINT64, value: 64n }], tensors: [] }, /must be a UINT32/],
    ["alignment clash", { metadata: [{ key: "general.alignment", type: T.UINT32, value: 64 }], tensors: [], alignment: 32 }, /differs from general.alignment 64/],
  ];
  for (const [what, opts, re] of cases) {
    const sink = memorySink();
    await assert.rejects(writeGGUF(sink, opts), (e) => e instanceof UserError && re.test(e.message), what);
    assert.equal(sink.size, 0, `${what}: sink not aborted`);
  }
});

test("file sink: renames into place on success, leaves nothing behind on failure", async () => {
  const dir = await mkdtemp(join(tmpdir(), "pocketvlm-gguf-"));
  try {
    const path = join(dir, "out.gguf");
    const { list, bytes } = tensors();
    await writeGGUF(await fileSink(path), { metadata: METADATA, tensors: list });
    assert.deepEqual(await readdir(dir), ["out.gguf"]);
    const g = await readGGUF(await fileSource(path));
    assert.deepEqual(await g.source.read(g.tensors[0].offset, g.tensors[0].byteLength), bytes.get(g.tensors[0].name));
    await g.source.close?.();

    const broken = join(dir, "broken.gguf");
    const failing: GGUFWriteTensor = { name: "late", dims: [256], type: GGMLType.Q4_K, data: async () => { throw new UserError("aborted", "producer failed"); } };
    await assert.rejects(writeGGUF(await fileSink(broken), { metadata: METADATA, tensors: [...list, failing] }), /producer failed/);
    assert.deepEqual(await readdir(dir), ["out.gguf"]);
    assert.ok((await readFile(path)).byteLength > ggmlRowBytes(GGMLType.Q4_K, 256 * 6));

    await assert.rejects(fileSink(join(dir, "no", "such", "dir.gguf")), (e) => e instanceof UserError && /no such directory/.test(e.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("stream sink: a WritableStream receives the file, or an abort", async () => {
  const chunks: Uint8Array[] = [];
  let aborted = false;
  const stream = new WritableStream<Uint8Array>({ write(c) { chunks.push(c); }, abort() { aborted = true; } });
  const { list } = tensors();
  const n = await writeGGUF(streamSink("web.gguf", stream), { metadata: METADATA, tensors: list });
  const all = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) { all.set(c, o); o += c.byteLength; }
  assert.equal(o, n);
  assert.equal((await readGGUF(bytesSource("web.gguf", all))).tensors.length, list.length);

  const failing = new WritableStream<Uint8Array>({ abort() { aborted = true; } });
  await assert.rejects(writeGGUF(streamSink("bad.gguf", failing), { metadata: [], tensors: [{ name: "x", dims: [4], type: GGMLType.F32, data: new Uint8Array(3) }] }), UserError);
  assert.equal(aborted, true);
});
