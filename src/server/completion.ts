import { frameFusionReport, type FrameFusionReport, type MiniCPMV } from "../multimodal/vlm.js";
import type { FrameFusion } from "../multimodal/video/framefusion.js";
import { generate, type GenerationResult, type GenerationStep } from "../runtime/generation.js";
import { promptLength } from "../runtime/prompt.js";
import { ApiError, fromUserError } from "./api-error.js";
import { decodeMessages, type PendingMessage } from "./images.js";
import type { CompletionPlan } from "./plan.js";

export interface StartedCompletion {
  /** Prompt rows, image rows included (what usage.prompt_tokens reports). */
  readonly promptRows: number;
  readonly steps: AsyncGenerator<GenerationStep, GenerationResult, void>;
  /** What FrameFusion did (read once the prefill is over), when the request asked for it. */
  readonly frameFusion: (() => FrameFusionReport) | null;
}

/**
 * Decodes the images, builds the prompt (chat template, image crops through the vision tower) and
 * starts generating, with FrameFusion's prefill hooks when the plan asks for them (a video they cannot
 * work on is a 400 naming `frame_fusion`). Runs while the request holds the model. A prompt that leaves
 * no room in the context is refused with OpenAI's `context_length_exceeded`.
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
  let fusion: FrameFusion | undefined;
  try {
    fusion = plan.frameFusion ? vlm.frameFusionFor(layout, plan.frameFusion) : undefined;
  } catch (e) {
    throw fromUserError(e, "frame_fusion");
  }
  // MiniCPM-V's grounding markup (<point>, <box>, <ref>, ...) stays in answers, as vlm.chat() and the authors' chat() show it
  const steps = generate(vlm.llm, vlm.llm.newCache(), layout.segments, vlm.tokenizer, { renderTokens: vlm.markupTokens, ...plan.generate, signal, prefillHooks: fusion });
  return { promptRows: rows, steps, frameFusion: fusion ? () => frameFusionReport(fusion, layout) : null };
}
