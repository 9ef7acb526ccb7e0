import { UserError } from "../../errors.js";
import type { ModelSource } from "../model-source.js";
import type { LlmArch, LlmConfig, RopeStyle } from "./language-model.js";

const ARCHS: readonly LlmArch[] = ["llama", "qwen2", "qwen3", "minicpm"];

/** How llama.cpp pairs head values for RoPE, per architecture (`llama_model_rope_type`). */
const ROPE_STYLE: Record<LlmArch, RopeStyle> = { llama: "norm", minicpm: "norm", qwen2: "neox", qwen3: "neox" };

function positiveInt(src: ModelSource, key: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0) throw new UserError("bad_file", `${src.name}: metadata "${key}" = ${v} should be a positive integer`);
  return v;
}

function positive(src: ModelSource, key: string, v: number): number {
  if (!(Number.isFinite(v) && v > 0)) throw new UserError("bad_file", `${src.name}: metadata "${key}" = ${v} should be a positive number`);
  return v;
}

/**
 * Hyper-parameters from llama.cpp's metadata keys, with llama.cpp's defaults
 * (`llama_model::load_hparams` and the per-arch loaders).
 */
export function readLlmConfig(src: ModelSource): LlmConfig {
  const m = src.meta;
  const arch = m.string("general.architecture") as LlmArch;
  if (!ARCHS.includes(arch)) {
    throw new UserError("unsupported", `${src.name}: language model architecture "${arch}" is not supported (supported: ${ARCHS.join(", ")})`);
  }
  const key = (k: string) => `${arch}.${k}`;
  const int = (k: string, fallback?: number) =>
    positiveInt(src, key(k), fallback === undefined ? m.number(key(k)) : m.number(key(k), fallback));

  const nEmbd = int("embedding_length");
  const nLayers = int("block_count");
  const nFF = int("feed_forward_length");
  const nHeads = int("attention.head_count");
  const nKVHeads = int("attention.head_count_kv", nHeads);
  if (nHeads % nKVHeads !== 0) {
    throw new UserError("bad_file", `${src.name}: ${nHeads} attention heads are not a multiple of ${nKVHeads} key/value heads`);
  }
  const headDim = int("attention.key_length", Math.floor(nEmbd / nHeads));
  const valueDim = int("attention.value_length", headDim);
  if (valueDim !== headDim) throw new UserError("unsupported", `${src.name}: key length ${headDim} != value length ${valueDim}`);
  const ropeDim = int("rope.dimension_count", headDim);
  if (ropeDim > headDim || ropeDim % 2 !== 0) throw new UserError("bad_file", `${src.name}: rope dimension count ${ropeDim} does not fit head size ${headDim}`);

  const tokenEmbd = src.tensors.get("token_embd.weight");
  const nVocab = m.has(key("vocab_size"))
    ? int("vocab_size")
    : m.has("tokenizer.ggml.tokens")
      ? m.array("tokenizer.ggml.tokens").length
      : tokenEmbd?.dims[1] ?? m.number(key("vocab_size"));

  let ropeFreqScale = 1;
  const scaling = m.string(key("rope.scaling.type"), "none");
  if (scaling === "linear") {
    ropeFreqScale = 1 / positive(src, key("rope.scaling.factor"), m.number(key("rope.scaling.factor"), 1));
  } else if (scaling !== "none") {
    throw new UserError("unsupported", `${src.name}: rope scaling "${scaling}" is not supported (none, linear are)`);
  }

  const isMiniCPM = arch === "minicpm";
  return {
    arch,
    nVocab,
    nEmbd,
    nLayers,
    nHeads,
    nKVHeads,
    headDim,
    nFF,
    contextLength: int("context_length", 4096),
    ropeTheta: positive(src, key("rope.freq_base"), m.number(key("rope.freq_base"), 10000)),
    ropeDim,
    ropeStyle: ROPE_STYLE[arch],
    ropeFreqScale,
    rmsEps: positive(src, key("attention.layer_norm_rms_epsilon"), m.number(key("attention.layer_norm_rms_epsilon"))),
    attentionScale: 1 / Math.sqrt(headDim),
    // minicpm: llama.cpp's defaults for older exports, overridden by the keys when present
    embeddingScale: isMiniCPM ? m.number(key("embedding_scale"), 12) : 1,
    residualScale: isMiniCPM ? m.number(key("residual_scale"), Math.fround(1.4 / Math.sqrt(nLayers))) : 1,
    logitScale: isMiniCPM ? m.number(key("logit_scale"), Math.fround(256 / nEmbd)) : 1,
  };
}
