import { test } from "node:test";
import assert from "node:assert/strict";
import { loadHfLanguageModel } from "../../src/formats/hf/language-model.js";
import { loadHfVision } from "../../src/formats/hf/vision.js";
import { memoryFolder } from "../../src/formats/hf/folder.js";
import { ropePairPermutation } from "../../src/formats/hf/row-permuted-source.js";
import { writeSafetensors, type SafetensorsWriteTensor } from "../../src/formats/safetensors/writer.js";
import { dtypeOfGGMLType } from "../../src/formats/safetensors/dtypes.js";
import { readGGUF } from "../../src/formats/gguf/reader.js";
import { GGMLType } from "../../src/formats/gguf/ggml-types.js";
import { modelSourceFromGGUF, readTensorF32 } from "../../src/models/model-source.js";
import { memorySink } from "../../src/io/byte-sink.js";
import { UserError } from "../../src/errors.js";
import { fixtureBytes, fixtureJSON, openFixture } from "./fixture-files.js";

const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));

async function safetensors(tensors: SafetensorsWriteTensor[]): Promise<Uint8Array> {
  const sink = memorySink();
  await writeSafetensors(sink, tensors, { format: "pt" });
  return sink.bytes();
}

/** canonical (llama.cpp) name → the authors' key in a MiniCPM-V checkpoint */
function authorsKey(name: string): string {
  const blk = /^blk\.(\d+)\.(\w+)\.(weight|bias)$/.exec(name);
  if (blk) {
    const map: Record<string, string> = {
      attn_q: "self_attn.q_proj", attn_k: "self_attn.k_proj", attn_v: "self_attn.v_proj", attn_output: "self_attn.o_proj",
      attn_q_norm: "self_attn.q_norm", attn_k_norm: "self_attn.k_norm", attn_norm: "input_layernorm",
      ffn_norm: "post_attention_layernorm", ffn_gate: "mlp.gate_proj", ffn_up: "mlp.up_proj", ffn_down: "mlp.down_proj",
    };
    return `llm.model.layers.${blk[1]}.${map[blk[2]]}.${blk[3]}`;
  }
  return { "token_embd.weight": "llm.model.embed_tokens.weight", "output_norm.weight": "llm.model.norm.weight", "output.weight": "llm.lm_head.weight" }[name]!;
}

test("a sharded MiniCPM-V 4.5 folder (qwen3) maps to the same LLM as llama.cpp's GGUF", async () => {
  const g = await readGGUF(await openFixture("llamacpp/minicpmv-4.5/llm-f16.gguf"));
  const gguf = modelSourceFromGGUF(g);
  const tensors: SafetensorsWriteTensor[] = [];
  for (const t of g.tensors) {
    tensors.push({ name: authorsKey(t.name), dtype: dtypeOfGGMLType(t.type)!, shape: [...t.dims].reverse(), data: await g.source.read(t.offset, t.byteLength) });
  }
  const half = Math.floor(tensors.length / 2);
  const shards = { "model-00001-of-00002.safetensors": tensors.slice(0, half), "model-00002-of-00002.safetensors": tensors.slice(half) };
  const weightMap: Record<string, string> = {};
  for (const [file, list] of Object.entries(shards)) for (const t of list) weightMap[t.name] = file;
  const m = gguf.meta;
  const config = {
    architectures: ["MiniCPMV"], model_type: "minicpmv", version: 4.5,
    hidden_size: m.number("qwen3.embedding_length"), intermediate_size: m.number("qwen3.feed_forward_length"),
    num_hidden_layers: m.number("qwen3.block_count"), num_attention_heads: m.number("qwen3.attention.head_count"),
    num_key_value_heads: m.number("qwen3.attention.head_count_kv"), head_dim: m.number("qwen3.attention.key_length"),
    max_position_embeddings: m.number("qwen3.context_length"), rope_theta: 1000000.0, rms_norm_eps: 1e-6,
    tie_word_embeddings: false, vocab_size: 361, query_num: 64,
  };
  const folder = memoryFolder("MiniCPM-V-4_5-tiny", {
    "config.json": enc(config),
    "model.safetensors.index.json": enc({ metadata: {}, weight_map: weightMap }),
    "model-00001-of-00002.safetensors": await safetensors(shards["model-00001-of-00002.safetensors"]),
    "model-00002-of-00002.safetensors": await safetensors(shards["model-00002-of-00002.safetensors"]),
    "tokenizer_config.json": enc({}),
  });
  const hf = await loadHfLanguageModel(folder);
  assert.ok(hf.files.includes("tokenizer_config.json"));
  assert.deepEqual([...hf.tensors.keys()].sort(), [...gguf.tensors.keys()].sort());
  for (const [name, t] of hf.tensors) {
    const o = gguf.tensors.get(name)!;
    assert.deepEqual(t.dims, o.dims, name);
    assert.equal(t.type, o.type, name);
    assert.deepEqual(await t.source.read(t.offset, t.byteLength), await o.source.read(o.offset, o.byteLength), name);
  }
  for (const [key, e] of m.entries) {
    if (key.startsWith("tokenizer.") || key === "general.quantization_version" || key === "general.file_type") continue;
    if (key === "general.name") { assert.equal(hf.meta.string(key), "MiniCPM-V-4_5-tiny"); continue; }
    assert.deepEqual(hf.meta.entries.get(key), e, key);
  }
  assert.equal(hf.meta.number("qwen3.vocab_size"), 361);
  await g.source.close?.();
});

/** A tiny HF checkpoint of a NORM-rope family with recognisable weights (value = row·1000 + col). */
async function tinyFolder(arch: "llama" | "minicpm", extra: Record<string, unknown> = {}) {
  const hidden = 32, heads = 4, kv = 2, hd = 8, ffn = 16, vocab = 10;
  const mat = (rows: number, cols: number) => {
    const f = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) f[r * cols + c] = r * 1000 + c;
    return new Uint8Array(f.buffer);
  };
  const w = (name: string, rows: number, cols?: number): SafetensorsWriteTensor =>
    ({ name, dtype: "F32", shape: cols === undefined ? [rows] : [rows, cols], data: mat(rows, cols ?? 1) });
  const p = "llm.model.layers.0.";
  const tensors = [
    w("llm.model.embed_tokens.weight", vocab, hidden), w(`${p}self_attn.q_proj.weight`, heads * hd, hidden),
    w(`${p}self_attn.k_proj.weight`, kv * hd, hidden), w(`${p}self_attn.v_proj.weight`, kv * hd, hidden),
    w(`${p}self_attn.o_proj.weight`, hidden, heads * hd), w(`${p}input_layernorm.weight`, hidden),
    w(`${p}post_attention_layernorm.weight`, hidden), w(`${p}mlp.gate_proj.weight`, ffn, hidden),
    w(`${p}mlp.up_proj.weight`, ffn, hidden), w(`${p}mlp.down_proj.weight`, hidden, ffn), w("llm.model.norm.weight", hidden),
  ];
  const config = {
    model_type: arch, hidden_size: hidden, intermediate_size: ffn, num_hidden_layers: 1, num_attention_heads: heads,
    num_key_value_heads: kv, max_position_embeddings: 4096, rope_theta: 500000, rms_norm_eps: 1e-5, ...extra,
  };
  return memoryFolder(`tiny-${arch}`, { "config.json": enc(config), "model.safetensors": await safetensors(tensors) });
}

test("llama / minicpm Q and K rows come out in llama.cpp's rope-pair order (lazily)", async () => {
  const hf = await loadHfLanguageModel(await tinyFolder("llama"));
  assert.equal(hf.meta.string("general.architecture"), "llama");
  assert.equal(hf.meta.number("llama.rope.freq_base"), 500000);
  assert.equal(hf.meta.number("llama.attention.layer_norm_rms_epsilon"), Math.fround(1e-5));
  assert.equal(hf.tensors.has("output.weight"), false); // tied
  // head_dim 8: llama.cpp row 2i+j of a head is HF row j·4+i → rows 0,4,1,5,2,6,3,7
  const q = await readTensorF32(hf, "blk.0.attn_q.weight");
  const rowsOf = (x: Float32Array, n: number, cols: number) => Array.from({ length: n }, (_, r) => x[r * cols] / 1000);
  assert.deepEqual(rowsOf(q, 16, 32), [0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15]);
  const k = await readTensorF32(hf, "blk.0.attn_k.weight");
  assert.deepEqual(rowsOf(k, 16, 32), [0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15]);
  assert.deepEqual(rowsOf(await readTensorF32(hf, "blk.0.attn_v.weight"), 16, 32), [...Array(16).keys()]);
  // a read that starts mid-row and spans rows
  const t = hf.tensors.get("blk.0.attn_q.weight")!;
  const part = new Float32Array((await t.source.read(t.offset + 30 * 4, 4 * 4)).slice().buffer);
  assert.deepEqual([...part], [30, 31, 4000, 4001]);
  assert.deepEqual([...ropePairPermutation(1, 4)], [0, 2, 1, 3]);

  const mini = await loadHfLanguageModel(await tinyFolder("minicpm", {
    scale_emb: 12, scale_depth: 1.4, dim_model_base: 8, tie_word_embeddings: true,
    rope_scaling: { rope_type: "longrope", long_factor: [1, 2, 3, 4], short_factor: [1, 1, 1, 1], original_max_position_embeddings: 2048 },
  }));
  // derived as llama.cpp's converter does (the minicpmv-4.0 fixture has 12, 1.4/√2 for 2 layers, 256/64)
  assert.equal(mini.meta.number("minicpm.embedding_scale"), 12);
  assert.equal(mini.meta.number("minicpm.residual_scale"), Math.fround(1.4));
  assert.equal(mini.meta.number("minicpm.logit_scale"), 4);
  assert.deepEqual(rowsOf(await readTensorF32(mini, "blk.0.attn_q.weight"), 4, 32), [0, 4, 1, 5]);
  assert.deepEqual([...(await readTensorF32(mini, "rope_factors_long.weight"))], [1, 2, 3, 4]);
  assert.equal(mini.meta.number("minicpm.rope.scaling.original_context_length"), 2048);
});

test("V4.0 (minicpm LLM): resampler.proj is divided by scale_emb, as llama.cpp's converter does", async () => {
  const config = { ...fixtureJSON("hf/weights/tiny_q64_v2_6.config.json"), version_of_remote_code: undefined, version: 4.0, scale_emb: 12 };
  const weights = await openFixture("hf/weights/tiny_q64.safetensors");
  const v40 = await loadHfVision({ name: "v40", config, weights: [weights] });
  const v26 = await loadHfVision({ name: "v26", config: fixtureJSON("hf/weights/tiny_q64_v2_6.config.json"), weights: [weights] });
  assert.equal(v40.meta.number("clip.minicpmv_version"), 5);
  assert.equal(v40.tensors.get("resampler.proj.weight")!.type, GGMLType.F32);
  const a = await readTensorF32(v40, "resampler.proj.weight");
  const b = await readTensorF32(v26, "resampler.proj.weight");
  assert.ok(a.every((x, i) => x === Math.fround(b[i] / 12)));
  await weights.close?.();
});

test("language-model loader errors name the folder and what is wrong", async () => {
  const good = await tinyFolder("llama");
  const files: Record<string, Uint8Array> = {};
  for (const f of await good.list()) { const s = await good.open(f); files[f] = (await s.read(0, s.size)).slice(); }
  const cfg = JSON.parse(new TextDecoder().decode(files["config.json"]));
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...cfg, num_hidden_layers: 2 }, /tensor "llm\.model\.layers\.1\.self_attn\.q_proj\.weight" is missing/],
    [{ ...cfg, num_hidden_layers: 0 }, /num_hidden_layers is 0 but the weights have more layers/],
    [{ ...cfg, hidden_size: 64 }, /hidden_size is 64 but the embedding is \[10,32\]/],
    [{ ...cfg, num_key_value_heads: 3 }, /do not fit together/],
    [{ ...cfg, max_position_embeddings: undefined }, /"max_position_embeddings" is missing/],
    [{ ...cfg, tie_word_embeddings: false }, /tensor "llm\.lm_head\.weight" is missing/],
    [{ ...cfg, model_type: "minicpmv", version: 2.0 }, /version 2 is not supported/],
  ];
  for (const [c, re] of cases) {
    await assert.rejects(loadHfLanguageModel(memoryFolder("llm", { ...files, "config.json": enc(c) })), (e) => e instanceof UserError && re.test(e.message), String(re));
  }
  await assert.rejects(loadHfLanguageModel(memoryFolder("vision-only", { "config.json": enc(fixtureJSON("hf/weights/tiny_q64_v2_6.config.json")), "model.safetensors": fixtureBytes("hf/weights/tiny_q64.safetensors") })),
    (e) => e instanceof UserError && /vision-only: no language model weights/.test(e.message));
});
