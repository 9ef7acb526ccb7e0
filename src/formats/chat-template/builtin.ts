import type { GGUFMetadata } from "../gguf/reader.js";

/**
 * Built-in templates for GGUFs without `tokenizer.chat_template`, written to give exactly what
 * llama.cpp's built-in formatter of the same name gives (no BOS: the tokenizer adds it).
 */
export const BUILTIN_TEMPLATES = {
  chatml:
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}"
    + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
  llama3:
    "{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}"
    + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}",
} as const;

export type BuiltinTemplateName = keyof typeof BUILTIN_TEMPLATES;

/** The built-in that fits an LLM architecture: Llama-3 headers for `llama` (MiniCPM-V 2.5), ChatML otherwise. */
export function builtinTemplateFor(architecture: string): BuiltinTemplateName {
  return architecture === "llama" ? "llama3" : "chatml";
}

export interface ModelChatTemplate {
  readonly template: string;
  /** "gguf" when the file has one, else the built-in's name. */
  readonly origin: "gguf" | BuiltinTemplateName;
}

/** The GGUF's own chat template, or the built-in for its architecture. */
export function chatTemplateOf(meta: GGUFMetadata): ModelChatTemplate {
  const own = meta.has("tokenizer.chat_template") ? meta.string("tokenizer.chat_template") : "";
  if (own.trim() !== "") return { template: own, origin: "gguf" };
  const name = builtinTemplateFor(meta.string("general.architecture", ""));
  return { template: BUILTIN_TEMPLATES[name], origin: name };
}
