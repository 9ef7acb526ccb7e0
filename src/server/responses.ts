import { randomBytes } from "node:crypto";
import type { FrameFusionReport } from "../multimodal/vlm.js";
import type { FinishReason } from "../runtime/generation.js";

/** OpenAI's finish reasons; a generation cut short by its time limit or by shutdown reports "length". */
export type ApiFinishReason = "stop" | "length";

export function apiFinishReason(r: FinishReason): ApiFinishReason {
  return r === "stop" ? "stop" : "length";
}

export interface Usage { prompt_tokens: number; completion_tokens: number; total_tokens: number }

export function usage(promptTokens: number, completionTokens: number): Usage {
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

/** Identity shared by every chunk of one completion. */
export interface CompletionId { id: string; created: number; model: string }

export function newCompletionId(model: string): CompletionId {
  return { id: `chatcmpl-${randomBytes(12).toString("hex")}`, created: Math.floor(Date.now() / 1000), model };
}

/** Extension fields of a completion (after OpenAI's): what FrameFusion did, when it was asked for. */
export interface CompletionExtras { frame_fusion?: FrameFusionBody }

export interface FrameFusionBody {
  video_rows: number;
  span_rows: number;
  merged: number;
  pruned: number;
  kept_rows: number;
  sparsities: number[];
}

/** The library's FrameFusion report in the API's snake_case. */
export function frameFusionBody(r: FrameFusionReport): FrameFusionBody {
  return { video_rows: r.videoRows, span_rows: r.spanRows, merged: r.merged, pruned: r.pruned, kept_rows: r.keptRows, sparsities: [...r.sparsities] };
}

/** The extension fields of a finished completion. */
export function extrasOf(c: { readonly frameFusion: (() => FrameFusionReport) | null }): CompletionExtras {
  return c.frameFusion ? { frame_fusion: frameFusionBody(c.frameFusion()) } : {};
}

export function completionBody(c: CompletionId, content: string, finish: ApiFinishReason, u: Usage, extras: CompletionExtras = {}) {
  return {
    id: c.id, object: "chat.completion", created: c.created, model: c.model,
    choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, logprobs: null, finish_reason: finish }],
    usage: u,
    ...extras,
  };
}

type Delta = { role?: "assistant"; content?: string };

/** One streaming chunk; with include_usage every chunk carries `usage: null` except the last. */
export function chunkBody(c: CompletionId, delta: Delta, finish: ApiFinishReason | null, withUsage: boolean, extras: CompletionExtras = {}) {
  return {
    id: c.id, object: "chat.completion.chunk", created: c.created, model: c.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(withUsage ? { usage: null } : {}),
    ...extras,
  };
}

export function usageChunkBody(c: CompletionId, u: Usage) {
  return { id: c.id, object: "chat.completion.chunk", created: c.created, model: c.model, choices: [], usage: u };
}
