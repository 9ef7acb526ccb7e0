import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadHfVision } from "../../src/formats/hf/vision.js";
import { memoryFolder } from "../../src/formats/hf/folder.js";
import { readGGUF } from "../../src/formats/gguf/reader.js";
import { modelSourceFromGGUF, readTensorF32, type ModelSource } from "../../src/models/model-source.js";
import { folderReader } from "../../src/node/folder-reader.js";
import { UserError } from "../../src/errors.js";
import { fixtureBytes, fixtureJSON, openFixture } from "./fixture-files.js";

const WEIGHTS = "hf/weights/tiny_q64.safetensors";
const CONFIG = "hf/weights/tiny_q64_v2_6.config.json";
const GGUF = "hf/gguf/mmproj-tiny_q64-minicpmv_version3-f16.gguf";

/** The converter stores SigLIP fc1 as ffn_down and fc2 as ffn_up; canonical names say what they are. */
const ggufName = (canonical: string) =>
  canonical.replace(/\.ffn_up\./, ".FFN_X.").replace(/\.ffn_down\./, ".ffn_up.").replace(/\.FFN_X\./, ".ffn_down.");

async function assertMatchesConverter(hf: ModelSource): Promise<void> {
  const gguf = modelSourceFromGGUF(await readGGUF(await openFixture(GGUF)));
  // every tensor of the converter's file is there (pos_embed_k is a 2-D sin/cos table computed by the model code)
  const expected = [...gguf.tensors.keys()].filter((n) => n !== "resampler.pos_embed_k").map(ggufName).sort();
  assert.deepEqual([...hf.tensors.keys()].sort(), expected);
  for (const [name, t] of hf.tensors) {
    const g = gguf.tensors.get(ggufName(name))!;
    assert.deepEqual(t.dims, g.dims, `${name} dims`);
    const a = await readTensorF32(hf, name);
    const b = await readTensorF32(gguf, g.name);
    assert.ok(a.every((v, i) => v === b[i]), `${name}: values differ from the converter's ${g.name}`);
  }
  for (const [key, e] of gguf.meta.entries) {
    if (key === "general.file_type" || key === "general.description") continue;
    assert.deepEqual(hf.meta.entries.get(key), e, key);
  }
  assert.deepEqual([...hf.meta.entries.keys()].filter((k) => !gguf.meta.has(k)), []);
}

test("authors' safetensors + config map to the same vision model as llama.cpp's mmproj (F16 values equal)", async () => {
  const src = await loadHfVision({ name: "tiny_q64", config: fixtureJSON(CONFIG), weights: [await openFixture(WEIGHTS)] });
  try {
    assert.equal(src.meta.number("clip.minicpmv_version"), 3);
    // the fused in_proj is split into views of the same file: no copy
    const q = src.tensors.get("resampler.attn.q.weight")!, k = src.tensors.get("resampler.attn.k.weight")!;
    assert.equal(q.source, k.source);
    assert.equal(k.offset - q.offset, q.byteLength);
    assert.deepEqual(src.tensors.get("v.blk.0.ffn_up.weight")!.dims, [64, 128]); // fc1: PyTorch [128, 64]
    assert.deepEqual(src.tensors.get("v.patch_embd.weight")!.dims, [14, 14, 3, 64]);
    await assertMatchesConverter(src);
  } finally {
    await src.close();
  }
});

test("the same checkpoint as a folder (memory and Node directory) loads identically", async () => {
  const config = fixtureBytes(CONFIG);
  const weights = fixtureBytes(WEIGHTS);
  const mem = await loadHfVision(memoryFolder("tiny", { "config.json": config, "model.safetensors": weights, "tokenizer.json": new Uint8Array(2) }));
  assert.deepEqual(mem.files, ["config.json", "model.safetensors", "tokenizer.json"]);
  await assertMatchesConverter(mem);

  const dir = await mkdtemp(join(tmpdir(), "pocketvlm-hf-"));
  try {
    await writeFile(join(dir, "config.json"), config);
    await writeFile(join(dir, "model.safetensors"), weights);
    const disk = await loadHfVision(await folderReader(dir));
    await assertMatchesConverter(disk);
    await disk.close();
    await assert.rejects(folderReader(join(dir, "config.json")), (e) => e instanceof UserError && /is a file/.test(e.message));
    await assert.rejects(folderReader(join(dir, "nope")), (e) => e instanceof UserError && /no such folder/.test(e.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("vision loader errors name the folder and the problem", async () => {
  const weights = fixtureBytes(WEIGHTS);
  const cfg = fixtureJSON(CONFIG);
  const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
  const cases: [Record<string, Uint8Array>, RegExp][] = [
    [{ "model.safetensors": weights }, /m: no config\.json/],
    [{ "config.json": enc(cfg) }, /m: no model\.safetensors or model\.safetensors\.index\.json/],
    [{ "config.json": enc(cfg), "pytorch_model.bin": new Uint8Array(4) }, /PyTorch pickles are not supported/],
    [{ "config.json": enc({ ...cfg, version_of_remote_code: 3.0 }), "model.safetensors": weights }, /version 3 is not supported/],
    [{ "config.json": enc({ ...cfg, version_of_remote_code: undefined }), "model.safetensors": weights }, /"version" is missing/],
    [{ "config.json": enc({ ...cfg, query_num: 96 }), "model.safetensors": weights }, /query_num is 96 but the weights have 64/],
    [{ "config.json": new TextEncoder().encode("{oops"), "model.safetensors": weights }, /m\/config\.json: not valid JSON/],
    [{ "config.json": enc(cfg), "model.safetensors": weights.subarray(0, weights.byteLength - 2) }, /m\/model\.safetensors: not a valid safetensors file/],
    [{ "config.json": enc(cfg), "model.safetensors.index.json": enc({ weight_map: { a: "model-00001.safetensors" } }) }, /shard "model-00001\.safetensors" named in model\.safetensors\.index\.json is missing/],
  ];
  for (const [files, re] of cases) {
    await assert.rejects(loadHfVision(memoryFolder("m", files)), (e) => e instanceof UserError && re.test(e.message), String(re));
  }
});
