/** Loading: hyper-parameters per arch from metadata, and clear errors for bad files. */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { JsBackend } from "../../src/compute/js/js-backend.js";
import { isUserError } from "../../src/errors.js";
import type { ByteSource } from "../../src/io/byte-source.js";
import { GGUFMetadata, readGGUF } from "../../src/formats/gguf/reader.js";
import { GGUFValueType, type GGUFEntry } from "../../src/formats/gguf/types.js";
import { loadLanguageModel } from "../../src/models/llm/load.js";
import { modelSourceFromGGUF, type ModelSource, type TensorEntry } from "../../src/models/model-source.js";
import { fileSource } from "../../src/node/file-source.js";
import { fixtureDir } from "./fixtures.js";

const opened: ByteSource[] = [];
after(async () => {
  for (const s of opened) await s.close?.();
});

async function source(version: string): Promise<ModelSource> {
  const bytes = await fileSource(join(fixtureDir(version), "llm-f16.gguf"));
  opened.push(bytes);
  return modelSourceFromGGUF(await readGGUF(bytes));
}

/** A copy of `src` with metadata keys replaced/removed and tensors removed/reshaped. */
function edited(src: ModelSource, meta: Record<string, GGUFEntry | null>, tensors: Record<string, Partial<TensorEntry> | null> = {}): ModelSource {
  const entries = new Map(src.meta.entries);
  for (const [k, v] of Object.entries(meta)) v ? entries.set(k, v) : entries.delete(k);
  const ts = new Map(src.tensors);
  for (const [k, v] of Object.entries(tensors)) v ? ts.set(k, { ...ts.get(k)!, ...v }) : ts.delete(k);
  return { name: src.name, meta: new GGUFMetadata(src.name, entries), tensors: ts };
}

async function rejects(src: ModelSource, re: RegExp): Promise<void> {
  await assert.rejects(loadLanguageModel(src, new JsBackend()), (e: unknown) => isUserError(e) && re.test(e.message) && e.message.includes("llm-f16.gguf"));
}

test("hyper-parameters per architecture, as llama.cpp reads them", async () => {
  const m45 = await loadLanguageModel(await source("4.5"), new JsBackend());
  assert.deepEqual(
    { arch: m45.config.arch, rope: m45.config.ropeStyle, theta: m45.config.ropeTheta, kv: m45.config.nKVHeads, head: m45.config.headDim, vocab: m45.config.nVocab },
    { arch: "qwen3", rope: "neox", theta: 1e6, kv: 1, head: 64, vocab: 361 },
  );
  const m25 = await loadLanguageModel(await source("2.5"), new JsBackend());
  assert.equal(m25.config.ropeStyle, "norm");
  assert.equal(m25.config.ropeTheta, 5e5);
  assert.equal(m25.config.nVocab, 363);
  assert.equal((await loadLanguageModel(await source("2.6"), new JsBackend())).config.ropeStyle, "neox");
  const m40 = await loadLanguageModel(await source("4.0"), new JsBackend());
  assert.equal(m40.config.ropeStyle, "norm");
  assert.equal(m40.config.embeddingScale, 12);
  assert.equal(m40.config.logitScale, 4);
  assert.equal(m40.config.residualScale, Math.fround(1.4 / Math.sqrt(2)));
  assert.equal(m45.config.embeddingScale * m45.config.residualScale * m45.config.logitScale, 1);
});

test("minicpm: without the scale keys, llama.cpp's defaults for older exports apply", async () => {
  const m = await loadLanguageModel(edited(await source("4.0"), { "minicpm.embedding_scale": null, "minicpm.residual_scale": null, "minicpm.logit_scale": null }), new JsBackend());
  assert.equal(m.config.embeddingScale, 12);
  assert.equal(m.config.residualScale, Math.fround(1.4 / Math.sqrt(2)));
  assert.equal(m.config.logitScale, 1); // 256 / n_embd with n_embd 256
});

test("bad files: unknown arch, missing key, missing tensor, wrong shape, missing qwen2 bias", async () => {
  const s45 = await source("4.5");
  await rejects(edited(s45, { "general.architecture": { type: GGUFValueType.STRING, value: "mamba" } }), /architecture "mamba" is not supported/);
  await rejects(edited(s45, { "qwen3.block_count": null }), /metadata key "qwen3.block_count" is missing/);
  await rejects(edited(s45, { "qwen3.attention.head_count_kv": { type: GGUFValueType.UINT32, value: 3 } }), /4 attention heads are not a multiple of 3/);
  await rejects(edited(s45, {}, { "blk.1.attn_k_norm.weight": null }), /tensor "blk.1.attn_k_norm.weight" is missing/);
  await rejects(edited(s45, {}, { "blk.0.ffn_up.weight": { dims: [256, 128] } }), /"blk.0.ffn_up.weight" has shape \[256,128\].*expected \[256,256\]/);
  await rejects(edited(await source("2.6"), {}, { "blk.0.attn_v.bias": null }), /tensor "blk.0.attn_v.bias" is missing/);
  await rejects(edited(s45, { "qwen3.rope.scaling.type": { type: GGUFValueType.STRING, value: "yarn" } }), /rope scaling "yarn" is not supported/);
});

test("a file without output.weight uses the token embedding as lm_head (tied)", async () => {
  const src = await source("2.5");
  const tied = await loadLanguageModel(edited(src, {}, { "output.weight": null }), new JsBackend());
  const r = tied.forward({ kind: "tokens", ids: [1, 2, 3] }, tied.newCache());
  assert.equal(r.logits!.length, 363);
  assert.ok(r.logits!.every(Number.isFinite));
});
