import { UserError } from "../../errors.js";
import type { HfCheckpoint } from "./load-folder.js";

/** The LLM families of MiniCPM-V, by their llama.cpp architecture names. */
export type LlmArch = "llama" | "qwen2" | "qwen3" | "minicpm";

const ARCH_BY_MODEL_TYPE: Record<string, LlmArch> = { llama: "llama", qwen2: "qwen2", qwen3: "qwen3", minicpm: "minicpm" };
const ARCH_BY_CLASS: Record<string, LlmArch> = {
  LlamaForCausalLM: "llama", Qwen2ForCausalLM: "qwen2", Qwen3ForCausalLM: "qwen3", MiniCPMForCausalLM: "minicpm",
};
/** config `version` → (clip.minicpmv_version, LLM arch). */
const VERSIONS: Record<string, [number, LlmArch]> = {
  "2.5": [2, "llama"], "2.6": [3, "qwen2"], "4": [5, "minicpm"], "4.5": [6, "qwen3"],
};
const VERSION_OF_ARCH: Record<LlmArch, number> = { llama: 2, qwen2: 3, minicpm: 5, qwen3: 6 };

/** The MiniCPM-V release named in config.json (`version`, or `version_of_remote_code`), if any. */
function declaredVersion(ckpt: HfCheckpoint): [number, LlmArch] | undefined {
  const c = ckpt.config;
  const key = c.has("version") ? "version" : c.has("version_of_remote_code") ? "version_of_remote_code" : undefined;
  if (!key) return undefined;
  const v = c.number(key);
  const hit = VERSIONS[String(v)];
  if (!hit) throw new UserError("unsupported", `${c.where}: MiniCPM-V version ${v} is not supported (2.5, 2.6, 4.0 and 4.5 are)`);
  return hit;
}

/** The llama.cpp architecture of the checkpoint's language model. */
export function llmArch(ckpt: HfCheckpoint, prefix: string): LlmArch {
  const c = ckpt.config;
  const text = c.has("text_config") ? c.sub("text_config") : c;
  for (const cfg of [text, c]) {
    const byType = ARCH_BY_MODEL_TYPE[cfg.string("model_type", "")];
    if (byType) return byType;
    for (const cls of cfg.strings("architectures")) if (ARCH_BY_CLASS[cls]) return ARCH_BY_CLASS[cls];
  }
  const declared = declaredVersion(ckpt);
  if (declared) return declared[1];
  // no name anywhere: tell the families apart by their weights
  if (ckpt.tensors.has(`${prefix}model.layers.0.self_attn.q_norm.weight`)) return "qwen3";
  if (ckpt.tensors.has(`${prefix}model.layers.0.self_attn.q_proj.bias`)) return "qwen2";
  if (c.has("scale_emb")) return "minicpm";
  return "llama";
}

/** `clip.minicpmv_version`: 2 = V2.5, 3 = V2.6, 5 = V4.0, 6 = V4.5. */
export function minicpmvVersion(ckpt: HfCheckpoint, queryNum: number): number {
  const declared = declaredVersion(ckpt);
  if (declared) return declared[0];
  if (queryNum === 96) return 2;
  for (const prefix of ["llm.", ""]) {
    if (ckpt.tensors.has(`${prefix}model.embed_tokens.weight`)) return VERSION_OF_ARCH[llmArch(ckpt, prefix)];
  }
  throw new UserError("missing", `${ckpt.config.where}: "version" is missing, so MiniCPM-V 2.6, 4.0 and 4.5 cannot be told apart`);
}
