import { randomBytes } from "node:crypto";
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

export function completionBody(c: CompletionId, content: string, finish: ApiFinishReason, u: Usage) {
  return {
    id: c.id, object: "chat.completion", created: c.created, model: c.model,
    choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, logprobs: null, finish_reason: finish }],
    usage: u,
  };
}

type Delta = { role?: "assistant"; content?: string };

/** One streaming chunk; with include_usage every chunk carries `usage: null` except the last. */
export function chunkBody(c: CompletionId, delta: Delta, finish: ApiFinishReason | null, withUsage: boolean) {
  return {
    id: c.id, object: "chat.completion.chunk", created: c.created, model: c.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(withUsage ? { usage: null } : {}),
  };
}

export function usageChunkBody(c: CompletionId, u: Usage) {
  return { id: c.id, object: "chat.completion.chunk", created: c.created, model: c.model, choices: [], usage: u };
}
