import { test } from "node:test";
import assert from "node:assert/strict";
import { readSafetensors } from "../../src/formats/safetensors/reader.js";
import { writeSafetensors, type SafetensorsWriteTensor } from "../../src/formats/safetensors/writer.js";
import { ggmlTypeOfDType, dtypeOfGGMLType } from "../../src/formats/safetensors/dtypes.js";
import { GGMLType } from "../../src/formats/gguf/ggml-types.js";
import { bytesSource } from "../../src/io/byte-source.js";
import { memorySink } from "../../src/io/byte-sink.js";
import { UserError } from "../../src/errors.js";
import { fixtureBytes } from "./fixture-files.js";

const enc = new TextEncoder();

/** A safetensors file from a raw header object and data. */
function raw(header: unknown, data: Uint8Array, headerText?: string): Uint8Array {
  const json = enc.encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  out.set(data, 8 + json.byteLength);
  return out;
}

test("reads the authors' tiny checkpoint header", async () => {
  const st = await readSafetensors(bytesSource("tiny_q64.safetensors", fixtureBytes("hf/weights/tiny_q64.safetensors")));
  assert.equal(st.tensors.length, 50);
  assert.deepEqual(st.metadata, { format: "pt" });
  const t = st.tensor("resampler.attn.in_proj_weight")!;
  assert.equal(t.dtype, "F16");
  assert.deepEqual(t.shape, [768, 256]);
  assert.equal(t.byteLength, 768 * 256 * 2);
  assert.equal(st.tensors[0].offset, st.dataOffset);
});

test("writer → reader round trip with every dtype, metadata, lazy data and 8-byte header padding", async () => {
  const tensors: SafetensorsWriteTensor[] = [
    { name: "f32", dtype: "F32", shape: [2, 3], data: new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer) },
    { name: "f16", dtype: "F16", shape: [3], data: async () => new Uint8Array(6).fill(1) },
    { name: "bf16", dtype: "BF16", shape: [1, 1, 2], data: new Uint8Array(4).fill(2) },
    { name: "i32", dtype: "I32", shape: [2], data: new Uint8Array(8).fill(3) },
    { name: "i64", dtype: "I64", shape: [1], data: new Uint8Array(8).fill(4) },
    { name: "u8", dtype: "U8", shape: [5], data: new Uint8Array(5).fill(5) },
    { name: "bool", dtype: "BOOL", shape: [1], data: new Uint8Array([1]) },
    { name: "scalar", dtype: "F64", shape: [], data: new Uint8Array(8).fill(6) },
    { name: "empty", dtype: "F32", shape: [0, 4], data: new Uint8Array(0) },
  ];
  const sink = memorySink("rt.safetensors");
  const n = await writeSafetensors(sink, tensors, { format: "pt", note: "ünïcode" });
  const bytes = sink.bytes();
  assert.equal(n, bytes.byteLength);
  const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(headerLen % 8, 0);
  const st = await readSafetensors(bytesSource("rt", bytes));
  assert.deepEqual(st.metadata, { format: "pt", note: "ünïcode" });
  for (const w of tensors) {
    const t = st.tensor(w.name)!;
    assert.equal(t.dtype, w.dtype);
    assert.deepEqual(t.shape, w.shape);
    const data = typeof w.data === "function" ? await w.data() : w.data;
    assert.deepEqual(await st.source.read(t.offset, t.byteLength), data);
  }
  assert.equal(ggmlTypeOfDType("BF16"), GGMLType.BF16);
  assert.equal(ggmlTypeOfDType("U8"), undefined);
  assert.equal(dtypeOfGGMLType(GGMLType.F16), "F16");
});

test("malformed files are rejected with UserErrors naming the file", async () => {
  const d8 = new Uint8Array(8);
  const ok = { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] } };
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(4), /only 4 bytes/],
    [raw(ok, d8).subarray(0, 20), /runs past the end/],
    [(() => { const b = raw(ok, d8); new DataView(b.buffer).setBigUint64(0, 1n << 40n, true); return b; })(), /header length/],
    [raw(null, d8, "{not json"), /not UTF-8 JSON/],
    [raw(null, d8, "[1,2]"), /not a JSON object/],
    [raw({ a: { dtype: "F33", shape: [2], data_offsets: [0, 8] } }, d8), /unknown dtype "F33"/],
    [raw({ a: { dtype: "F32", shape: [-2], data_offsets: [0, 8] } }, d8), /bad shape/],
    [raw({ a: { dtype: "F32", shape: [2], data_offsets: [0] } }, d8), /bad data_offsets/],
    [raw({ a: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, d8), /do not hold F32 \[3\]/],
    [raw({ a: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, d8), /past the 8 bytes of data/],
    [raw({ a: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, d8), /hole or overlap/],
    [raw({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, d8), /4 bytes after the last tensor/],
    [raw({ __metadata__: { a: 1 }, ...ok }, d8), /__metadata__ must map strings to strings/],
    [raw({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, d8), /hole or overlap/],
  ];
  for (const [bytes, re] of cases) {
    await assert.rejects(readSafetensors(bytesSource("x.safetensors", bytes)), (e) => e instanceof UserError && re.test(e.message) && e.message.startsWith("x.safetensors"), String(re));
  }
});

test("the writer checks its input and aborts the sink", async () => {
  const cases: [SafetensorsWriteTensor[], RegExp][] = [
    [[{ name: "a", dtype: "F32", shape: [2], data: new Uint8Array(4) }], /data has 4 bytes, F32 \[2\] needs 8/],
    [[{ name: "a", dtype: "F32", shape: [1], data: new Uint8Array(4) }, { name: "a", dtype: "F32", shape: [1], data: new Uint8Array(4) }], /repeated/],
    [[{ name: "__metadata__", dtype: "F32", shape: [1], data: new Uint8Array(4) }], /reserved/],
    [[{ name: "a", dtype: "Q4" as "F32", shape: [1], data: new Uint8Array(4) }], /unknown dtype/],
    [[{ name: "a", dtype: "F32", shape: [1.5], data: new Uint8Array(4) }], /bad shape/],
  ];
  for (const [tensors, re] of cases) {
    const sink = memorySink();
    await assert.rejects(writeSafetensors(sink, tensors), (e) => e instanceof UserError && re.test(e.message), String(re));
    assert.equal(sink.size, 0);
  }
});
