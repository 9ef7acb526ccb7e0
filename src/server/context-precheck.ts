import type { Tokenizer } from "../formats/tokenizer/index.js";
import { ApiError } from "./api-error.js";
import type { ApiMessage } from "./schemas/messages.js";

/** The longest token piece in bytes: no token covers more text than this. */
export function longestPieceBytes(tokenizer: Tokenizer): number {
  let max = 1;
  for (let id = 0; id < tokenizer.nTokens; id++) max = Math.max(max, tokenizer.tokenToPiece(id, true).length);
  return max;
}

/**
 * Refuses, before queueing, a request whose text alone cannot fit the context: it needs at least
 * (text bytes / longest piece) tokens. The exact count (template, image rows) is checked when the
 * prompt is built; this only spares the model queue from huge prompts.
 */
export function precheckContext(messages: readonly ApiMessage[], longestPiece: number, contextLength: number): void {
  let bytes = 0;
  for (const m of messages) {
    if (typeof m.content === "string") bytes += Buffer.byteLength(m.content);
    else for (const p of m.content) if (p.type === "text") bytes += Buffer.byteLength(p.text);
  }
  const atLeast = Math.ceil(bytes / longestPiece);
  if (atLeast >= contextLength) {
    throw new ApiError(400,
      `This model's maximum context length is ${contextLength} tokens. However, your messages resulted in at least ${atLeast} tokens. Please reduce the length of the messages.`,
      "context_length_exceeded", "messages");
  }
}
