import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { dequantize } from "../../src/formats/gguf/dequantize.js";
import { hasQuantizer, quantize } from "../../src/formats/gguf/quantize.js";
import { GGMLType, ggmlRowBytes } from "../../src/formats/gguf/ggml-types.js";
import { readGGUF } from "../../src/formats/gguf/reader.js";
import { UserError } from "../../src/errors.js";
import { fixtureF32, fixtureJSON, openFixture, prng, testSignal } from "./fixture-files.js";

const sha = (b: Uint8Array | Float32Array) => createHash("sha256").update(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)).digest("hex");

// sha256 of ggml's quantize_row_*_ref(testSignal(7, 256·77)) and of dequantize_row_* of that,
// from ggml-quants.c (ggml-org/ggml d99724f, the ggml-base build: no FMA contraction).
const GGML_HASHES: [GGMLType, string, string][] = [
  [GGMLType.Q4_0, "5de94056384cd4d4245488fbdad9c59219f344c7d9d699a1cbdb4a21da33959e", "70cce2a01b7911d5dc32be6bf37fa2b2e871c341b472247d5ef4c495b231880f"],
  [GGMLType.Q4_1, "7586a1846069cfb88bfdf4220646eaf6ce6998890b72e593777e902f24dc30cf", "f8a0a4bdadccdae77ef0518317932be65ddf7c7fc9020f3e8314b40090068083"],
  [GGMLType.Q5_0, "ea3beb5782c78230572c71aa7c5d15fdd073d58c6ff5ca0a5b0ba09108afe645", "f37a17132e1e12e23034c225f46c6b31629eb6bd5a061418fb4fd9382939e242"],
  [GGMLType.Q5_1, "ebbe05fac8f65d02b41d796d297755a050690422d71d18367093b31ac4564dd3", "3372fdf5362e1abf260b6dc99c89d01dd129e5cb3ceec208926259c7d513537c"],
  [GGMLType.Q8_0, "1d707a4b03d3f029132ceb0ba3309367d4ff48f7f6cb692cc8af49b7a6a72271", "4bff11a7d50dc22e875108d541c88264346527df64c2fba32e49a34fa51e1e75"],
  [GGMLType.Q2_K, "88b1c23695571bc6eeab87a6cc1fba13dad728dbb60318d1c09c1ce5ed68be15", "f773e3ef7e1ba1ad257570c7955e99ca70b941c4a2ea405a9ffdf19d0fa70771"],
  [GGMLType.Q3_K, "f575a339e2e6cb38c7973d0fd46ecdbd194bd37f1b422825561cd5315b5065f8", "3e1e56b72eb4a03bc70802bfcc9cc9c8cd3ed601e21baed0cb7bb8fb55ddcbe3"],
  [GGMLType.Q4_K, "4355917a7f62e715de67856b84a040e651969ae387e6b18991a9a89eef27acff", "cc1c214868cbc1050c18288f51d424c4a7f6f64d9cf33c7af08f71d7e72d4a5b"],
  [GGMLType.Q5_K, "acad6adc64c05912734fed1df22913db5fc8af141aadfa809444962691c2c936", "fc1d9922275d1adb8621c60cbd1f16f03ad53537f6f8ecc6284d9013e4634c8f"],
  [GGMLType.Q6_K, "ee9d56da715f1e4230fcabb3bbc28869d39cefc9c86ef83ec1208164459cfc69", "6dc87a8c8d358d1b8b80b43fa2f2469bf3aadf5225d7d52dd324bc0b6df9d198"],
  [GGMLType.Q8_K, "9edada324899efc3741c97fb69fca021d9d1ea360bb2d2d092230f3a260d5cf5", "ec9bf0247bd5bf932b983a63e27d4bf7607e3ce1aab7202ff41a6c445483361b"],
];

test("quantize and dequantize match ggml's bytes and floats for every block type", () => {
  const n = 256 * 77;
  const x = testSignal(7, n);
  for (const [type, qHash, dHash] of GGML_HASHES) {
    const q = quantize(type, x);
    assert.equal(q.byteLength, ggmlRowBytes(type, n));
    assert.equal(sha(q), qHash, `${GGMLType[type]} quantized bytes`);
    assert.equal(sha(dequantize(type, q, n)), dHash, `${GGMLType[type]} dequantized floats`);
  }
});

// Relative RMS error (|x - dq(q(x))| / rms(x)) on a bell-shaped signal; bounds ~1.25x the values measured.
const RMS_BOUND: [GGMLType, number][] = [
  [GGMLType.Q8_0, 6.5e-3], [GGMLType.Q8_K, 8e-3], [GGMLType.Q6_K, 2.2e-2], [GGMLType.Q5_K, 4.4e-2],
  [GGMLType.Q5_1, 4.6e-2], [GGMLType.Q5_0, 5.1e-2], [GGMLType.Q4_K, 8.7e-2], [GGMLType.Q4_1, 9.6e-2],
  [GGMLType.Q4_0, 0.103], [GGMLType.Q3_K, 0.185], [GGMLType.Q2_K, 0.36],
  [GGMLType.F16, 3e-4], [GGMLType.BF16, 2.2e-3], [GGMLType.F32, 0],
];

test("quantize→dequantize round trips stay within each type's expected error", () => {
  const r = prng(99);
  const n = 256 * 64;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = (r() + r() + r() + r() - 2) * 1.7;
  let ss = 0;
  for (const v of x) ss += v * v;
  const rms = Math.sqrt(ss / n);
  for (const [type, bound] of RMS_BOUND) {
    const y = dequantize(type, quantize(type, x), n);
    let e = 0;
    for (let i = 0; i < n; i++) e += (y[i] - x[i]) ** 2;
    const rel = Math.sqrt(e / n) / rms;
    assert.ok(rel <= bound, `${GGMLType[type]}: relative RMS error ${rel} > ${bound}`);
    if (type !== GGMLType.F32) assert.ok(rel > bound / 3, `${GGMLType[type]}: error ${rel} suspiciously small`);
  }
});

test("Q8_0 and Q4_0 keep values already on their grid: dq(q(dq(b))) == dq(b)", async () => {
  const dir = "llamacpp/minicpmv-4.5";
  const golden = fixtureJSON(`${dir}/golden.json`);
  for (const it of golden.dequantized_rows.items) {
    const type = it.ggml_type === "q8_0" ? GGMLType.Q8_0 : it.ggml_type === "q4_0" ? GGMLType.Q4_0 : undefined;
    if (type === undefined) continue;
    const rows = fixtureF32(`${dir}/${it.data.file}`);
    assert.deepEqual(dequantize(type, quantize(type, rows), rows.length), rows, `${it.model_file} ${it.tensor}`);
  }
  // whole files: re-quantizing the dequantized tensors gives back the same blocks
  for (const [file, type] of [["llm-q8_0.gguf", GGMLType.Q8_0], ["llm-q4_0.gguf", GGMLType.Q4_0]] as const) {
    const g = await readGGUF(await openFixture(`${dir}/${file}`));
    for (const t of g.tensors.filter((t) => t.type === type)) {
      const bytes = await g.source.read(t.offset, t.byteLength);
      const again = quantize(type, dequantize(type, bytes, t.nElements));
      assert.ok(again.every((b, i) => b === bytes[i]), `${file} ${t.name}`);
    }
    await g.source.close?.();
  }
});

test("edge blocks: zeros, constants and tiny values quantize without NaN", () => {
  const n = 256 * 4;
  const x = new Float32Array(n);
  x.fill(0.25, 256, 512);
  x.fill(-3e-38, 512, 768);
  for (let i = 768; i < n; i++) x[i] = i % 2 ? 1e-30 : -1e-30;
  for (const [type] of RMS_BOUND) {
    const y = dequantize(type, quantize(type, x), n);
    assert.ok(y.every((v) => Number.isFinite(v)), `${GGMLType[type]} produced a non-finite value`);
    assert.ok(y.subarray(0, 256).every((v) => v === 0), `${GGMLType[type]}: zero block`);
  }
});

test("quantize rejects a length that is not whole blocks and types without a quantizer", () => {
  assert.throws(() => quantize(GGMLType.Q4_K, new Float32Array(100)), (e) => e instanceof UserError && /multiple of its block of 256/.test(e.message));
  assert.throws(() => quantize(GGMLType.I32, new Float32Array(4)), (e) => e instanceof UserError && e.code === "unsupported");
  assert.equal(hasQuantizer(GGMLType.Q2_K), true);
  assert.throws(() => dequantize(GGMLType.Q4_0, new Uint8Array(17), 32), /bytes < 18 needed/);
});
