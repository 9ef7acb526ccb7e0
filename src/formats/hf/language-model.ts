import { UserError } from "../../errors.js";
import type { TensorEntry } from "../../models/model-source.js";
import type { HfConfig } from "./config.js";
import { entryOf, f32Entry, ggmlDims, ggmlTypeOf, requireHf } from "./entries.js";
import type { FolderReader } from "./folder.js";
import { openHfCheckpoint, type HfCheckpoint, type HfFileSet, type HfTensor } from "./load-folder.js";
import { MetaBuilder, hfModelSource, type HfModelSource } from "./meta.js";
import { ropePairPermutation, rowPermutedSource } from "./row-permuted-source.js";
import { llmArch, type LlmArch } from "./version.js";

/**
 * The language model of an authors' checkpoint (`llm.model.*`, `llm.lm_head.*`, or a bare causal LM's
 * `model.*`) as llama.cpp's converter would describe it: `<arch>.*` metadata and `token_embd`,
 * `blk.N.*`, `output_norm`, `output` tensors. For NORM-rope architectures (llama, minicpm) the Q/K rows
 * are presented in llama.cpp's pair order, through a lazy view rather than a copy.
 */

const LAYER: [string, string][] = [
  ["self_attn.q_proj", "attn_q"], ["self_attn.k_proj", "attn_k"], ["self_attn.v_proj", "attn_v"],
  ["self_attn.o_proj", "attn_output"], ["self_attn.q_norm", "attn_q_norm"], ["self_attn.k_norm", "attn_k_norm"],
  ["input_layernorm", "attn_norm"], ["post_attention_layernorm", "ffn_norm"],
  ["mlp.gate_proj", "ffn_gate"], ["mlp.up_proj", "ffn_up"], ["mlp.down_proj", "ffn_down"],
];
const REQUIRED = new Set(["attn_q", "attn_k", "attn_v", "attn_output", "attn_norm", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"]);

function findPrefix(ckpt: HfCheckpoint): string {
  for (const p of ["llm.", ""]) if (ckpt.tensors.has(`${p}model.embed_tokens.weight`)) return p;
  throw new UserError("missing", `${ckpt.name}: no language model weights (llm.model.embed_tokens.weight or model.embed_tokens.weight)`);
}

interface Dims { hidden: number; layers: number; heads: number; kvHeads: number; headDim: number }

function dimsOf(cfg: HfConfig, ckpt: HfCheckpoint, prefix: string): Dims {
  const embed = requireHf(ckpt, `${prefix}model.embed_tokens.weight`);
  const hidden = cfg.int("hidden_size");
  if (embed.shape[1] !== hidden) throw new UserError("bad_file", `${cfg.where}: hidden_size is ${hidden} but the embedding is [${embed.shape}]`);
  const layers = cfg.int("num_hidden_layers");
  const heads = cfg.int("num_attention_heads");
  const kvHeads = cfg.int("num_key_value_heads", heads);
  const headDim = cfg.int("head_dim", hidden / heads);
  if (!Number.isInteger(headDim) || headDim % 2 !== 0 || heads % kvHeads !== 0) {
    throw new UserError("bad_file", `${cfg.where}: ${heads} heads / ${kvHeads} KV heads / head_dim ${headDim} do not fit together`);
  }
  return { hidden, layers, heads, kvHeads, headDim };
}

/** Q/K weight (or bias) rows re-ordered into llama.cpp's rope pairs, without a copy. */
function ropePermuted(ckpt: HfCheckpoint, t: HfTensor, name: string, heads: number): TensorEntry {
  const rows = t.shape[0];
  if (rows % heads !== 0 || (rows / heads) % 2 !== 0) throw new UserError("bad_file", `${ckpt.name}: tensor "${t.name}" [${t.shape}] does not split into ${heads} heads`);
  const rowBytes = t.byteLength / rows;
  const source = rowPermutedSource(`${ckpt.name}:${name}`, t.source, t.offset, rowBytes, ropePairPermutation(heads, rows));
  return { name, dims: ggmlDims(t.shape), type: ggmlTypeOf(ckpt, t), source, offset: 0, byteLength: t.byteLength };
}

function metadata(arch: LlmArch, cfg: HfConfig, d: Dims, vocab: number, name: string): MetaBuilder {
  const m = new MetaBuilder()
    .str("general.architecture", arch)
    .str("general.name", name.split(/[\\/]/).filter(Boolean).pop() ?? name)
    .u32(`${arch}.context_length`, cfg.int("max_position_embeddings"))
    .u32(`${arch}.embedding_length`, d.hidden)
    .u32(`${arch}.block_count`, d.layers)
    .u32(`${arch}.feed_forward_length`, cfg.int("intermediate_size"))
    .u32(`${arch}.attention.head_count`, d.heads)
    .u32(`${arch}.attention.head_count_kv`, d.kvHeads)
    .u32(`${arch}.attention.key_length`, d.headDim)
    .u32(`${arch}.attention.value_length`, d.headDim)
    .u32(`${arch}.rope.dimension_count`, d.headDim)
    .f32(`${arch}.rope.freq_base`, cfg.number("rope_theta", 10000))
    .f32(`${arch}.attention.layer_norm_rms_epsilon`, cfg.number("rms_norm_eps", 1e-6))
    .u32(`${arch}.vocab_size`, vocab);
  if (arch === "minicpm") {
    // as llama.cpp's MiniCPM converter derives them
    m.f32("minicpm.embedding_scale", cfg.number("scale_emb"))
      .f32("minicpm.residual_scale", cfg.number("scale_depth") / Math.sqrt(d.layers))
      .f32("minicpm.logit_scale", d.hidden / cfg.number("dim_model_base"));
  }
  return m;
}

/** MiniCPM's long-context RoPE factors live in config.json; llama.cpp carries them as tensors. */
function ropeFactors(ckpt: HfCheckpoint, cfg: HfConfig, arch: LlmArch, d: Dims, m: MetaBuilder): TensorEntry[] {
  const rs = cfg.sub("rope_scaling");
  if (arch !== "minicpm" || rs.string("rope_type", rs.string("type", "")) !== "longrope") return [];
  const long = rs.raw.long_factor, short = rs.raw.short_factor;
  const ok = (f: unknown): f is number[] => Array.isArray(f) && f.length === d.headDim / 2 && f.every((x) => typeof x === "number");
  if (!ok(long) || !ok(short)) throw new UserError("bad_file", `${cfg.where}: rope_scaling long_factor/short_factor must hold ${d.headDim / 2} numbers each`);
  m.str("minicpm.rope.scaling.type", "longrope");
  const orig = rs.optionalNumber("original_max_position_embeddings");
  if (orig !== undefined) m.u32("minicpm.rope.scaling.original_context_length", orig);
  return [f32Entry(ckpt, "rope_factors_long.weight", long), f32Entry(ckpt, "rope_factors_short.weight", short)];
}

export async function loadHfLanguageModel(input: FolderReader | HfFileSet): Promise<HfModelSource> {
  const ckpt = await openHfCheckpoint(input);
  try {
    return mapLanguageModel(ckpt);
  } catch (e) {
    await ckpt.close();
    throw e;
  }
}

function mapLanguageModel(ckpt: HfCheckpoint): HfModelSource {
  const prefix = findPrefix(ckpt);
  const arch = llmArch(ckpt, prefix);
  const cfg = ckpt.config.has("text_config") ? ckpt.config.sub("text_config") : ckpt.config;
  const d = dimsOf(cfg, ckpt, prefix);
  const embed = requireHf(ckpt, `${prefix}model.embed_tokens.weight`);
  const meta = metadata(arch, cfg, d, embed.shape[0], ckpt.name);
  const permute = arch === "llama" || arch === "minicpm";

  const tensors: TensorEntry[] = [entryOf(ckpt, embed, "token_embd.weight")];
  for (let n = 0; n < d.layers; n++) {
    for (const [hf, ours] of LAYER) {
      for (const kind of ["weight", "bias"]) {
        const key = `${prefix}model.layers.${n}.${hf}.${kind}`;
        const t = ckpt.tensors.get(key);
        if (!t) {
          if (kind === "weight" && REQUIRED.has(ours)) requireHf(ckpt, key);
          continue;
        }
        const name = `blk.${n}.${ours}.${kind}`;
        if (permute && (ours === "attn_q" || ours === "attn_k")) {
          tensors.push(ropePermuted(ckpt, t, name, ours === "attn_q" ? d.heads : d.kvHeads));
        } else {
          tensors.push(entryOf(ckpt, t, name));
        }
      }
    }
  }
  if (ckpt.tensors.has(`${prefix}model.layers.${d.layers}.input_layernorm.weight`)) {
    throw new UserError("bad_file", `${cfg.where}: num_hidden_layers is ${d.layers} but the weights have more layers`);
  }
  tensors.push(entryOf(ckpt, requireHf(ckpt, `${prefix}model.norm.weight`), "output_norm.weight"));
  // tied embeddings have no lm_head; llama.cpp then reads token_embd for the output too
  const head = ckpt.tensors.get(`${prefix}lm_head.weight`);
  if (head) tensors.push(entryOf(ckpt, head, "output.weight"));
  else if (cfg.raw.tie_word_embeddings === false) requireHf(ckpt, `${prefix}lm_head.weight`);
  tensors.push(...ropeFactors(ckpt, cfg, arch, d, meta));
  return hfModelSource(ckpt.name, meta, tensors, ckpt.files, () => ckpt.close());
}
