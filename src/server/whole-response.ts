import type { FastifyReply } from "fastify";
import type { StartedCompletion } from "./completion.js";
import type { Outcome } from "./outcome.js";
import { apiFinishReason, completionBody, extrasOf, usage, type CompletionId } from "./responses.js";

/** A non-streaming answer: generate to the end, then one `chat.completion` object. */
export async function sendWhole(reply: FastifyReply, c: StartedCompletion, id: CompletionId, isEog: (t: number) => boolean): Promise<Outcome> {
  for (;;) {
    const r = await c.steps.next();
    if (r.done) {
      const res = r.value;
      const completionTokens = res.tokens.filter((t) => !isEog(t)).length;
      await reply.send(completionBody(id, res.text, apiFinishReason(res.finishReason), usage(c.promptRows, completionTokens), extrasOf(c)));
      return { result: res, completionTokens };
    }
  }
}
