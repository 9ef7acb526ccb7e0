/**
 * The tower and resampler against the authors' goldens (tiny random weights, converted to an mmproj by
 * llama.cpp; same values as the safetensors).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { JsBackend } from "../../src/compute/js/js-backend.js";
import { loadHfVision } from "../../src/formats/hf/vision.js";
import { readSafetensors } from "../../src/formats/safetensors/reader.js";
import { writeSafetensors } from "../../src/formats/safetensors/writer.js";
import { bytesSource } from "../../src/io/byte-source.js";
import { memorySink } from "../../src/io/byte-sink.js";
import { visionConfigFromSource } from "../../src/models/vision/config.js";
import type { CropFeatures } from "../../src/models/vision/resampler.js";
import { loadVisionModel, type VisionModel } from "../../src/models/vision/vision-model.js";
import { fileSource } from "../../src/node/file-source.js";
import { HF, TINY_MMPROJ, concat, cropFromFile, diff, fromPatchStrips, preprocess, mmprojModel, readF32, readJson } from "./helpers.js";

const golden = readJson(join(HF, "golden.json"));
const cases = golden.vision_resampler.cases as any[];
const TOL_REL = 1e-4;

function caseOf(label: string): any {
  const c = cases.find((x) => x.label === label);
  assert.ok(c, `golden case "${label}"`);
  return c;
}

/** sq_448x448 is unsliced and not resized: its crop is the stored pixel_values, un-stripped. */
function sq448() {
  return fromPatchStrips(readF32(join(HF, "bin/pixels/sq_448x448_msn9_slice0.f32")), 32, 32);
}

function stats(a: Float32Array) {
  let s = 0;
  for (const x of a) s += x;
  const mean = s / a.length;
  let v = 0;
  for (const x of a) v += (x - mean) ** 2;
  return { mean, std: Math.sqrt(v / a.length) };
}

test("v2.6 unsliced 448x448: vision last hidden state and resampler output", async (t) => {
  const m = await mmprojModel(TINY_MMPROJ);
  const c = caseOf("v2.6 unsliced");
  const enc = m.encode([sq448()], { hiddenStates: true });
  const dh = diff(enc.hiddenStates![0], readF32(join(HF, c.vision_last_hidden_state.file)));
  const dr = diff(enc.embeddings[0], readF32(join(HF, c.resampler_out.file)));
  t.diagnostic(`v2.6 unsliced: hidden max abs ${dh.maxAbs.toExponential(2)} (rel ${dh.rel.toExponential(2)}), resampler max abs ${dr.maxAbs.toExponential(2)} (rel ${dr.rel.toExponential(2)})`);
  assert.ok(dh.rel <= TOL_REL, `hidden rel ${dh.rel}`);
  assert.ok(dr.rel <= TOL_REL, `resampler rel ${dr.rel}`);
  // V4.5's resampler (nn.MultiheadAttention) is the same computation: its stats agree
  const s = stats(enc.embeddings[0]);
  const s45 = caseOf("v4.5 unsliced").resampler_out_stats;
  assert.ok(Math.abs(s.mean - s45.mean) < 1e-5 && Math.abs(s.std - s45.std) < 1e-5, `v4.5 stats ${JSON.stringify(s)} vs ${JSON.stringify(s45)}`);
});

test("crops batched in one call give exactly what each gives alone", async () => {
  const m = await mmprojModel(TINY_MMPROJ);
  const full = sq448();
  // the top-left 224x448 (h x w) of the same image as a second, smaller crop
  const plane = 448 * 448;
  const half = new Float32Array(3 * 224 * 448);
  for (let ch = 0; ch < 3; ch++) half.set(full.pixels.subarray(ch * plane, ch * plane + 224 * 448), ch * 224 * 448);
  const small = { pixels: half, height: 224, width: 448 };
  const both = m.encode([small, full], { hiddenStates: true });
  const alone = m.encode([small], { hiddenStates: true });
  assert.deepEqual(both.hiddenStates![0], alone.hiddenStates![0]);
  assert.deepEqual(both.embeddings[0], alone.embeddings[0]);
  assert.equal(both.embeddings.length, 2);
  // one sequence set per crop (maxRows) changes nothing either
  const split = m.encode([small, full], { maxRows: 600 });
  assert.deepEqual(split.embeddings, both.embeddings);
});

test("V2.5 path: crops padded to the longest, padding attends, 1-D positions", async () => {
  const m = await mmprojModel(TINY_MMPROJ);
  const full = sq448();
  const plane = 448 * 448;
  const top = new Float32Array(3 * 224 * 448);
  const padded = new Float32Array(3 * plane); // the same patches followed by zero patches
  for (let ch = 0; ch < 3; ch++) {
    top.set(full.pixels.subarray(ch * plane, ch * plane + 224 * 448), ch * 224 * 448);
    padded.set(full.pixels.subarray(ch * plane, ch * plane + 224 * 448), ch * plane);
  }
  const quirk = m.tower([{ pixels: top, height: 224, width: 448 }, full], { v25Quirk: true });
  const manual = m.tower([{ pixels: padded, height: 448, width: 448 }], { v25Quirk: true });
  assert.equal(quirk[0].length, 512 * 64);
  const d = diff(quirk[0], manual[0].subarray(0, 512 * 64));
  assert.ok(d.maxAbs < 1e-6, `padded run differs by ${d.maxAbs}`);
  const normal = m.tower([{ pixels: top, height: 224, width: 448 }]);
  assert.ok(diff(quirk[0], normal[0]).maxAbs > 1e-3, "the V2.5 path should differ from the 2-D path");
});

test("V4.5 video: 6 frames, temporal groups [[0,1,2],[3,4,5]] through the 3-D resampler", async (t) => {
  const m = await mmprojModel(TINY_MMPROJ);
  const v = golden.video_3d_resampler;
  const crops = [];
  for (const f of v.frames) crops.push(await cropFromFile(join(HF, f.file))); // 448x448: no resize
  const enc = m.encode(crops, { temporalIds: v.temporal_ids, crossAttention: true });
  assert.equal(enc.embeddings.length, 2);
  const d = diff(concat(enc.embeddings), readF32(join(HF, v.resampler_out.file)));
  t.diagnostic(`video 3-D resampler: max abs ${d.maxAbs.toExponential(2)} (rel ${d.rel.toExponential(2)})`);
  assert.ok(d.rel <= TOL_REL, `rel ${d.rel}`);
  // one attention over the three frames' 3 x 1024 keys; each query's probabilities sum to 1
  const p = enc.crossAttention![0];
  assert.equal(p.length, 64 * 3 * 1024);
  let s = 0;
  for (let j = 0; j < 3 * 1024; j++) s += p[j];
  assert.ok(Math.abs(s - 1) < 1e-5);
});

test("an image is a group of one with temporal id -1: same as the 2-D resampler", async () => {
  const m = await mmprojModel(TINY_MMPROJ);
  const crop = sq448();
  const h = m.tower([crop]);
  const plain = m.resample([[{ hidden: h[0], h: 32, w: 32 }]]);
  const asVideo = m.resample([[{ hidden: h[0], h: 32, w: 32, temporalId: -1 }]]);
  assert.deepEqual(plain.embeddings[0], asVideo.embeddings[0]);
});

/** The "2.5-style" model of the goldens: tiny_q64's tower with the 96-query resampler, via the HF loader. */
async function q96Model(): Promise<VisionModel> {
  const vpm = await readSafetensors(await fileSource(join(HF, "weights", "tiny_q64.safetensors")));
  const res = await readSafetensors(await fileSource(join(HF, "weights", "tiny_q96_resampler.safetensors")));
  try {
    const tensors = [];
    for (const [file, keep] of [[vpm, "vpm."], [res, "resampler."]] as const) {
      for (const t of file.tensors.filter((x) => x.name.startsWith(keep))) {
        tensors.push({ name: t.name, dtype: t.dtype, shape: t.shape, data: (await file.source.read(t.offset, t.byteLength)).slice() });
      }
    }
    const sink = memorySink();
    await writeSafetensors(sink, tensors);
    const config = readJson(join(HF, "weights", "tiny_q96_2_5style.config.json"));
    const src = await loadHfVision({ name: "tiny_q96", config, weights: [bytesSource("tiny_q96.safetensors", sink.bytes())] });
    return await loadVisionModel(src, visionConfigFromSource(src), new JsBackend());
  } finally {
    await vpm.source.close?.();
    await res.source.close?.();
  }
}

const q96 = q96Model();

function q96Case(t: { diagnostic(m: string): void }, label: string, m: VisionModel, features: CropFeatures[]): void {
  const c = caseOf(`2.5-style q96 ${label}`);
  assert.equal(m.config.queryNum, 96);
  const out = m.resample(features.map((f) => [f]));
  const d = diff(concat(out.embeddings), readF32(join(HF, c.resampler_out.file)));
  t.diagnostic(`2.5-style q96 ${label}: resampler max abs ${d.maxAbs.toExponential(2)} (rel ${d.rel.toExponential(2)})`);
  assert.ok(d.rel <= TOL_REL, `q96 resampler rel ${d.rel}`);
}

test("2.5-style q96 unsliced (safetensors through src/formats/hf/)", async (t) => {
  const m = await q96;
  const crop = sq448();
  const hidden = (await mmprojModel(TINY_MMPROJ)).tower([crop]);
  q96Case(t, "unsliced", m, [{ hidden: hidden[0], h: 32, w: 32 }]);
});

test("the authors' safetensors (tiny_q64 through src/formats/hf/) give the v2.6 golden too", async (t) => {
  const weights = await fileSource(join(HF, "weights", "tiny_q64.safetensors"));
  try {
    const src = await loadHfVision({ name: "tiny_q64", config: readJson(join(HF, "weights", "tiny_q64_v2_6.config.json")), weights: [weights] });
    const m = await loadVisionModel(src, visionConfigFromSource(src), new JsBackend());
    const c = caseOf("v2.6 unsliced");
    const d = diff(m.encode([sq448()]).embeddings[0], readF32(join(HF, c.resampler_out.file)));
    t.diagnostic(`tiny_q64 safetensors, v2.6 unsliced: resampler max abs ${d.maxAbs.toExponential(2)}`);
    assert.ok(d.rel <= TOL_REL, `rel ${d.rel}`);
  } finally {
    await weights.close?.();
  }
});

for (const [label, name] of [["v2.6 grid_2x1", "grid_2x1"], ["v2.6 grid_3x2", "grid_3x2"], ["v2.6 strip_gt70_patches", "strip_gt70_patches"]]) {
  test(`${name}: all crops of the authors' batch, hidden states and resampler outputs (v2.6, q96)`, async (t) => {
    const m = await mmprojModel(TINY_MMPROJ);
    const c = caseOf(label);
    const crops = await preprocess(join(HF, "images", `${c.image}.png`), "reference");
    assert.deepEqual(crops.map((k) => [k.height / 14, k.width / 14]), c.tgt_sizes_hw);
    const enc = m.encode(crops, { hiddenStates: true });
    const dh = diff(concat(enc.hiddenStates!), readF32(join(HF, c.vision_last_hidden_state.file)));
    const dr = diff(concat(enc.embeddings), readF32(join(HF, c.resampler_out.file)));
    t.diagnostic(`${label}: hidden max abs ${dh.maxAbs.toExponential(2)} (rel ${dh.rel.toExponential(2)}), resampler max abs ${dr.maxAbs.toExponential(2)} (rel ${dr.rel.toExponential(2)})`);
    assert.ok(dh.rel <= TOL_REL, `hidden rel ${dh.rel}`);
    assert.ok(dr.rel <= TOL_REL, `resampler rel ${dr.rel}`);
    const features = crops.map((k, i) => ({ hidden: enc.hiddenStates![i], h: k.height / 14, w: k.width / 14 }));
    q96Case(t, name, await q96, features);
  });
}
