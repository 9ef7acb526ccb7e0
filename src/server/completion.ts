import type { MiniCPMV } from "../multimodal/vlm.js";
import { generate, type GenerationResult, type GenerationStep } from "../runtime/generation.js";
import { promptLength } from "../runtime/prompt.js";
import { ApiError, fromUserError } from "./api-error.js";
import { decodeMessages, type PendingMessage } from "./images.js";
import type { CompletionPlan } from "./plan.js";

export interface StartedCompletion {
  /** Prompt rows, image rows included (what usage.prompt_tokens reports). */
  readonly promptRows: number;
  readonly steps: AsyncGenerator<GenerationStep, GenerationResult, void>;
}

/**
 * Decodes the images, builds the prompt (chat template, image crops through the vision tower) and
 * starts generating. Runs while the request holds the model. A prompt that leaves no room in the context is refused with
 * OpenAI's `context_length_exceeded`.
 */
export async function startCompletion(
  vlm: MiniCPMV, pending: readonly PendingMessage[], maxPixels: number, plan: CompletionPlan, signal: AbortSignal,
): Promise<StartedCompletion> {
  const messages = await decodeMessages(pending, maxPixels, {
    temporal: vlm.hasTemporalResampler, rowsPerGroup: vlm.vision.config.queryNum, contextLength: vlm.llm.config.contextLength,
  });
  let layout;
  try {
    layout = await vlm.prompt(messages);
  } catch (e) {
    throw fromUserError(e, "messages");
  }
  const rows = promptLength(layout.segments);
  const ctx = vlm.llm.config.contextLength;
  if (rows >= ctx) {
    throw new ApiError(400,
      `This model's maximum context length is ${ctx} tokens. However, your messages resulted in ${rows} tokens (image rows included). Please reduce the length of the messages or the number of images.`,
      "context_length_exceeded", "messages");
  }
  const steps = generate(vlm.llm, vlm.llm.newCache(), layout.segments, vlm.tokenizer, { ...plan.generate, signal });
  return { promptRows: rows, steps };
}
