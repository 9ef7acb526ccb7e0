/**
 * An authors'-layout MiniCPM-V folder written from a llama.cpp GGUF pair (the inverse of the converters):
 * `llm.*` safetensors (Q/K rows back in the Hugging Face order for llama), `vpm.*` / `resampler.*`
 * (fc1/fc2 by their meaning, fused in_proj, `proj` untransposed, no `pos_embed_k`), a config.json, and
 * tokenizer.json / tokenizer_config.json holding the GGUF's vocabulary.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GGUFMetadata } from "../../src/formats/gguf/reader.js";
import { readGGUF } from "../../src/formats/gguf/reader.js";
import { ggmlTypeInfo } from "../../src/formats/gguf/ggml-types.js";
import { ropePairPermutation } from "../../src/formats/hf/row-permuted-source.js";
import { dtypeOfGGMLType } from "../../src/formats/safetensors/dtypes.js";
import { writeSafetensors, type SafetensorsWriteTensor } from "../../src/formats/safetensors/writer.js";
import { memorySink } from "../../src/io/byte-sink.js";
import type { ModelSource, TensorEntry } from "../../src/models/model-source.js";
import { loadMmproj } from "../../src/models/vision/mmproj.js";
import { modelSourceFromGGUF } from "../../src/models/model-source.js";
import { openFixture } from "./fixture-files.js";

type Json = Record<string, any>;

const LLM_LAYER: Record<string, string> = {
  attn_q: "self_attn.q_proj", attn_k: "self_attn.k_proj", attn_v: "self_attn.v_proj", attn_output: "self_attn.o_proj",
  attn_q_norm: "self_attn.q_norm", attn_k_norm: "self_attn.k_norm", attn_norm: "input_layernorm",
  ffn_norm: "post_attention_layernorm", ffn_gate: "mlp.gate_proj", ffn_up: "mlp.up_proj", ffn_down: "mlp.down_proj",
};
const LLM_TOP: Record<string, string> = {
  "token_embd.weight": "llm.model.embed_tokens.weight", "output_norm.weight": "llm.model.norm.weight", "output.weight": "llm.lm_head.weight",
};
const V_LAYER: Record<string, string> = {
  attn_q: "self_attn.q_proj", attn_k: "self_attn.k_proj", attn_v: "self_attn.v_proj", attn_out: "self_attn.out_proj",
  ln1: "layer_norm1", ln2: "layer_norm2", ffn_up: "mlp.fc1", ffn_down: "mlp.fc2",
};
const V_TOP: Record<string, string> = {
  "v.patch_embd.weight": "vpm.embeddings.patch_embedding.weight", "v.patch_embd.bias": "vpm.embeddings.patch_embedding.bias",
  "v.position_embd.weight": "vpm.embeddings.position_embedding.weight", "v.post_ln.weight": "vpm.post_layernorm.weight",
  "v.post_ln.bias": "vpm.post_layernorm.bias", "resampler.query": "resampler.query", "resampler.kv.weight": "resampler.kv_proj.weight",
  "resampler.attn.out.weight": "resampler.attn.out_proj.weight", "resampler.attn.out.bias": "resampler.attn.out_proj.bias",
};
for (const ln of ["q", "kv", "post"]) for (const w of ["weight", "bias"]) V_TOP[`resampler.ln_${ln}.${w}`] = `resampler.ln_${ln}.${w}`;

async function bytesOf(t: TensorEntry): Promise<Uint8Array> {
  return (await t.source.read(t.offset, t.byteLength)).slice();
}

function tensor(name: string, t: TensorEntry, data: Uint8Array): SafetensorsWriteTensor {
  return { name, dtype: dtypeOfGGMLType(t.type)!, shape: [...t.dims].reverse(), data };
}

/** Rows of the stored matrix placed where `perm` says llama.cpp's row r came from. */
function unpermuteRows(data: Uint8Array, perm: Int32Array): Uint8Array {
  const rowBytes = data.length / perm.length;
  const out = new Uint8Array(data.length);
  for (let r = 0; r < perm.length; r++) out.set(data.subarray(r * rowBytes, (r + 1) * rowBytes), perm[r] * rowBytes);
  return out;
}

async function llmTensors(src: ModelSource): Promise<SafetensorsWriteTensor[]> {
  const arch = src.meta.string("general.architecture");
  const heads = src.meta.number(`${arch}.attention.head_count`);
  const kvHeads = src.meta.number(`${arch}.attention.head_count_kv`);
  const out: SafetensorsWriteTensor[] = [];
  for (const [name, t] of src.tensors) {
    const blk = /^blk\.(\d+)\.(\w+)\.(weight|bias)$/.exec(name);
    let data = await bytesOf(t);
    if (blk && (arch === "llama" || arch === "minicpm") && (blk[2] === "attn_q" || blk[2] === "attn_k")) {
      data = unpermuteRows(data, ropePairPermutation(blk[2] === "attn_q" ? heads : kvHeads, t.dims[1] ?? t.dims[0]));
    }
    out.push(tensor(blk ? `llm.model.layers.${blk[1]}.${LLM_LAYER[blk[2]]}.${blk[3]}` : LLM_TOP[name], t, data));
  }
  return out;
}

/** The canonical vision source (loadMmproj has undone the converter's FFN name swap). */
async function visionTensors(src: ModelSource): Promise<SafetensorsWriteTensor[]> {
  const out: SafetensorsWriteTensor[] = [];
  const get = (n: string) => src.tensors.get(n)!;
  for (const [name, t] of src.tensors) {
    const blk = /^v\.blk\.(\d+)\.(\w+)\.(weight|bias)$/.exec(name);
    if (blk) out.push(tensor(`vpm.encoder.layers.${blk[1]}.${V_LAYER[blk[2]]}.${blk[3]}`, t, await bytesOf(t)));
    else if (V_TOP[name]) out.push(tensor(V_TOP[name], t, await bytesOf(t)));
  }
  for (const w of ["weight", "bias"]) {
    const parts = ["q", "k", "v"].map((p) => get(`resampler.attn.${p}.${w}`));
    const data = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
    let at = 0;
    for (const p of parts) { data.set(await bytesOf(p), at); at += p.byteLength; }
    const d = parts[0].dims;
    out.push({ name: `resampler.attn.in_proj_${w}`, dtype: dtypeOfGGMLType(parts[0].type)!, shape: w === "weight" ? [3 * d[1], d[0]] : [3 * d[0]], data });
  }
  // llama.cpp keeps proj^T: store it back as the authors' [D_in, D_out] matrix
  const proj = get("resampler.proj.weight");
  const [a, b] = proj.dims;
  const e = ggmlTypeInfo(proj.type)!.typeSize;
  const src2 = await bytesOf(proj);
  const data = new Uint8Array(src2.length);
  for (let r = 0; r < b; r++) for (let c = 0; c < a; c++) data.set(src2.subarray((r * a + c) * e, (r * a + c + 1) * e), (c * b + r) * e);
  out.push({ name: "resampler.proj", dtype: dtypeOfGGMLType(proj.type)!, shape: [a, b], data });
  return out;
}

const PRE_REGEX: Record<string, string> = {
  qwen2: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  "llama-bpe": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
};

/** tokenizer.json + tokenizer_config.json (+ config.json ids) holding a GGUF vocabulary. */
export function tokenizerFilesOf(meta: GGUFMetadata): { tokenizer: Json; config: Json; configIds: Json } {
  const tokens = meta.strings("tokenizer.ggml.tokens");
  const types = meta.numbers("tokenizer.ggml.token_type");
  const pre = meta.string("tokenizer.ggml.pre");
  const vocab: Record<string, number> = {};
  const added: Json[] = [];
  tokens.forEach((t, i) => {
    if (types[i] === 1) vocab[t] = i;
    else added.push({ id: i, content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: types[i] === 3 });
  });
  const addBos = meta.bool("tokenizer.ggml.add_bos_token", false);
  const id = (k: string) => (meta.has(`tokenizer.ggml.${k}`) ? meta.number(`tokenizer.ggml.${k}`) : undefined);
  const text = (k: string) => { const i = id(k); return i === undefined ? null : tokens[i]; };
  const bos = { SpecialToken: { id: text("bos_token_id"), type_id: 0 } };
  const tokenizer = {
    version: "1.0", truncation: null, padding: null, added_tokens: added, normalizer: pre === "qwen2" ? { type: "NFC" } : null,
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: PRE_REGEX[pre] }, behavior: "Isolated", invert: false },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    // Meta's Llama-3 post-processor prepends BOS; Qwen's adds nothing
    post_processor: addBos
      ? { type: "TemplateProcessing", single: [bos, { Sequence: { id: "A", type_id: 0 } }], special_tokens: {} }
      : { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
    decoder: { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: {
      type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "", end_of_word_suffix: "", fuse_unk: false,
      byte_fallback: false, ignore_merges: pre === "llama-bpe", vocab,
      merges: meta.strings("tokenizer.ggml.merges").map((m) => m.split(" ")),
    },
  };
  const config: Json = {
    eos_token: text("eos_token_id"), unk_token: text("unknown_token_id"), pad_token: text("padding_token_id"),
    chat_template: meta.string("tokenizer.chat_template"),
  };
  // Qwen names no BOS token: the converter takes bos_token_id from config.json
  if (addBos) config.bos_token = text("bos_token_id");
  else config.add_bos_token = false;
  return { tokenizer, config, configIds: addBos ? {} : { bos_token_id: id("bos_token_id") } };
}

function configOf(llm: GGUFMetadata, mm: GGUFMetadata, version: string, ids: Json): Json {
  const arch = llm.string("general.architecture");
  const n = (k: string) => llm.number(`${arch}.${k}`);
  return {
    architectures: ["MiniCPMV"], model_type: "minicpmv", version: Number(version),
    hidden_size: n("embedding_length"), intermediate_size: n("feed_forward_length"), num_hidden_layers: n("block_count"),
    num_attention_heads: n("attention.head_count"), num_key_value_heads: n("attention.head_count_kv"), head_dim: n("attention.key_length"),
    max_position_embeddings: n("context_length"), rope_theta: n("rope.freq_base"), rms_norm_eps: n("attention.layer_norm_rms_epsilon"),
    tie_word_embeddings: false, vocab_size: llm.strings("tokenizer.ggml.tokens").length,
    query_num: mm.number("clip.minicpmv_query_num"), image_size: mm.number("clip.vision.image_size"),
    vision_config: {
      hidden_size: mm.number("clip.vision.embedding_length"), intermediate_size: mm.number("clip.vision.feed_forward_length"),
      num_hidden_layers: mm.number("clip.vision.block_count"), num_attention_heads: mm.number("clip.vision.attention.head_count"),
      patch_size: mm.number("clip.vision.patch_size"), layer_norm_eps: mm.number("clip.vision.attention.layer_norm_epsilon"),
      model_type: "siglip", hidden_act: "gelu_pytorch_tanh",
    },
    ...ids,
  };
}

/** Writes the folder for test/fixtures/llamacpp/minicpmv-<version> into a new temp dir; returns its path. */
export async function writeAuthorsFolder(version: string): Promise<string> {
  const llmFile = await readGGUF(await openFixture(`llamacpp/minicpmv-${version}/llm-f16.gguf`));
  const mmFile = await readGGUF(await openFixture(`llamacpp/minicpmv-${version}/mmproj-f16.gguf`));
  try {
    const llm = modelSourceFromGGUF(llmFile);
    const mm = loadMmproj(mmFile).source;
    const sink = memorySink();
    await writeSafetensors(sink, [...await llmTensors(llm), ...await visionTensors(mm)], { format: "pt" });
    const tok = tokenizerFilesOf(llm.meta);
    const dir = await mkdtemp(join(tmpdir(), `pocketvlm-minicpmv-${version}-`));
    const json = (o: unknown) => JSON.stringify(o, null, 1);
    await writeFile(join(dir, "model.safetensors"), sink.bytes());
    await writeFile(join(dir, "config.json"), json(configOf(llm.meta, mm.meta, version, tok.configIds)));
    await writeFile(join(dir, "tokenizer.json"), JSON.stringify(tok.tokenizer));
    await writeFile(join(dir, "tokenizer_config.json"), json(tok.config));
    return dir;
  } finally {
    await llmFile.source.close?.();
    await mmFile.source.close?.();
  }
}
