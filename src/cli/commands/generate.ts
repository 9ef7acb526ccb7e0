import type { Command } from "commander";
import { UserError } from "../../errors.js";
import { chatTemplateOf, renderChatTemplate } from "../../formats/chat-template/index.js";
import { Tokenizer } from "../../formats/tokenizer/index.js";
import { openLanguageModel } from "../../node/load-llm.js";
import { generate } from "../../runtime/generation.js";
import { addRunOptions, maxTokensFrom, positiveInt, samplingFrom, type RunFlags } from "../options.js";
import { openProgress } from "../progress.js";
import { streamToStdout } from "../stream-output.js";

interface GenerateFlags extends RunFlags {
  model: string;
  prompt?: string;
  chat?: string;
  system?: string;
  noBos?: boolean;
  bos?: boolean;
  think?: boolean;
  json?: boolean;
}

/** `pocketvlm generate`: text generation with a GGUF language model, from a raw prompt or a chat message. */
export function registerGenerate(program: Command): void {
  const cmd = program
    .command("generate")
    .description("generate text with a GGUF language model: a raw --prompt, or a --chat message rendered with the model's chat template")
    .requiredOption("--model <file>", "GGUF language model file, or a Hub repo: hf:owner/name[@revision][:QUANT]")
    .option("-p, --prompt <text>", "raw prompt text (special tokens parsed)")
    .option("--chat <message>", "a user message, rendered with the model's chat template")
    .option("--system <text>", "a system message (with --chat)")
    .option("--no-bos", "do not add the vocabulary's BOS token")
    .option("--think", "Qwen3-style templates: enable thinking (with --chat)")
    .option("--json", "print one JSON object instead of streaming text");
  addRunOptions(cmd).action(async (f: GenerateFlags) => {
    if ((f.prompt === undefined) === (f.chat === undefined)) throw new UserError("bad_argument", "give exactly one of --prompt or --chat");
    const sampling = samplingFrom(f);
    const maxTokens = maxTokensFrom(f);
    const progress = openProgress();
    const llm = await openLanguageModel(f.model, {
      backend: f.backend, threads: positiveInt("--threads", f.threads), hub: progress.hub, onProgress: (x) => progress.update("llm", x),
    }).finally(() => progress.stop());
    try {
      const tokenizer = Tokenizer.fromMetadata(llm.source.meta);
      let text = f.prompt ?? "";
      if (f.chat !== undefined) {
        const messages = [...(f.system ? [{ role: "system", content: f.system }] : []), { role: "user", content: f.chat }];
        text = renderChatTemplate(chatTemplateOf(llm.source.meta).template, messages, {
          addGenerationPrompt: true, enableThinking: f.think ?? (llm.config.arch === "qwen3" ? false : undefined), source: f.model,
        });
      }
      const ids = tokenizer.encode(text, { addSpecial: f.bos !== false, parseSpecial: true });
      const it = generate(llm, llm.newCache(), [{ kind: "tokens", ids }], tokenizer, { maxTokens, sampling, stop: f.stop, coordinates: f.coordinates });
      const res = await streamToStdout(it, Boolean(f.json));
      if (f.json) {
        process.stdout.write(JSON.stringify({
          text: res.text, tokens: res.tokens, finish_reason: res.finishReason, prompt_tokens: ids.length,
          prefill_tok_s: ids.length / Math.max(res.prefillMs / 1000, 1e-9), decode_tok_s: res.tokens.length / Math.max(res.decodeMs / 1000, 1e-9),
        }) + "\n");
      }
    } finally {
      await llm.dispose();
    }
  });
}
