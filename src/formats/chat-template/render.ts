import { Template } from "@huggingface/jinja";
import { UserError } from "../../errors.js";

export interface ChatMessage {
  readonly role: string;
  readonly content: string;
}

export interface ChatTemplateOptions {
  /** End with the opening of the assistant's turn. Default true. */
  readonly addGenerationPrompt?: boolean;
  /** `bos_token` as the template sees it. Default "". Pass "" when the tokenizer adds BOS itself (llama.cpp does). */
  readonly bosToken?: string;
  readonly eosToken?: string;
  /** Qwen3-style thinking switch; left undefined in the template when not given. */
  readonly enableThinking?: boolean;
  /** More template variables (e.g. `tools`, `date_string`). */
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Where the template came from, for error messages (e.g. the GGUF path). */
  readonly source?: string;
}

const parsed = new Map<string, Template>();

function parse(template: string, source: string): Template {
  const hit = parsed.get(template);
  if (hit) return hit;
  let t: Template;
  try {
    t = new Template(template);
  } catch (e) {
    throw new UserError("unsupported", `${source}: the chat template cannot be parsed (${(e as Error).message})`, { cause: e });
  }
  parsed.set(template, t);
  return t;
}

/** Renders a Jinja chat template (Hugging Face conventions) over plain-text messages. */
export function renderChatTemplate(template: string, messages: readonly ChatMessage[], opts: ChatTemplateOptions = {}): string {
  const source = opts.source ?? "chat template";
  const t = parse(template, source);
  const vars: Record<string, unknown> = {
    ...opts.extra,
    messages: messages.map((m) => ({ role: m.role, content: m.content })),
    add_generation_prompt: opts.addGenerationPrompt ?? true,
    bos_token: opts.bosToken ?? "",
    eos_token: opts.eosToken ?? "",
  };
  if (opts.enableThinking !== undefined) vars.enable_thinking = opts.enableThinking;
  try {
    return t.render(vars);
  } catch (e) {
    // template errors include raise_exception("...") calls, e.g. "Conversation roles must alternate"
    throw new UserError("bad_argument", `${source}: the chat template failed: ${(e as Error).message}`, { cause: e });
  }
}
