import { test } from "node:test";
import assert from "node:assert/strict";
import { readGGUF } from "../../src/formats/gguf/reader.js";
import { dequantize } from "../../src/formats/gguf/dequantize.js";
import { quantize } from "../../src/formats/gguf/quantize.js";
import { GGMLType } from "../../src/formats/gguf/ggml-types.js";
import { fixtureF32, fixtureJSON, openFixture } from "./fixture-files.js";

const DIR = "llamacpp/minicpmv-4.5";

interface RowsItem { model_file: string; tensor: string; ggml_type: string; ne: number[]; n_rows: number; data: { file: string; shape: number[] } }

const golden = fixtureJSON(`${DIR}/golden.json`);
const items: RowsItem[] = golden.dequantized_rows.items;

/** Bit-level equality of float32 arrays (distinguishes -0 and NaN payloads too). */
function assertSameBits(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) assert.fail(`${what}: element ${i} is ${a[i]}, ggml gives ${b[i]}`);
  }
}

test("dequantized rows are bit-identical to ggml to_float for every quantized golden file", async () => {
  assert.ok(items.length >= 15);
  for (const it of items) {
    const file = await readGGUF(await openFixture(`${DIR}/${it.model_file}`));
    const t = file.tensor(it.tensor)!;
    const n = it.ne[0] * it.n_rows;
    const rowBytes = t.byteLength / (t.nElements / it.ne[0]);
    const bytes = await file.source.read(t.offset, rowBytes * it.n_rows);
    const got = dequantize(t.type, bytes, n);
    assertSameBits(got, fixtureF32(`${DIR}/${it.data.file}`), `${it.model_file} ${it.tensor}`);
    await file.source.close?.();
  }
});

// llama-quantize (no imatrix) runs the reference quantizers on the F32 model, which llm-f16.gguf
// carries losslessly, so re-quantizing the F16 weights must reproduce the quantized files byte for byte.
for (const [fileName, type] of [
  ["llm-q8_0.gguf", GGMLType.Q8_0],
  ["llm-q4_0.gguf", GGMLType.Q4_0],
  ["llm-q4_k.gguf", GGMLType.Q4_K],
  ["llm-q5_k.gguf", GGMLType.Q5_K],
  ["llm-q6_k.gguf", GGMLType.Q6_K],
] as const) {
  test(`quantizing the F16 weights reproduces ${fileName} byte for byte`, async () => {
    const f16 = await readGGUF(await openFixture(`${DIR}/llm-f16.gguf`));
    const q = await readGGUF(await openFixture(`${DIR}/${fileName}`));
    let checked = 0;
    for (const t of q.tensors) {
      if (t.type !== type) continue;
      const s = f16.tensor(t.name)!;
      const values = dequantize(s.type, await f16.source.read(s.offset, s.byteLength), s.nElements);
      const mine = quantize(type, values);
      const theirs = await q.source.read(t.offset, t.byteLength);
      assert.equal(mine.byteLength, theirs.byteLength);
      const at = mine.findIndex((b, i) => b !== theirs[i]);
      assert.equal(at, -1, `${t.name}: first differing byte ${at}`);
      checked++;
    }
    assert.equal(checked, 16);
    await f16.source.close?.();
    await q.source.close?.();
  });
}
