import type { FastifyBaseLogger, FastifyReply } from "fastify";
import { ApiError } from "./api-error.js";
import type { StartedCompletion } from "./completion.js";
import type { Outcome } from "./outcome.js";
import { apiFinishReason, chunkBody, extrasOf, usage, usageChunkBody, type CompletionId } from "./responses.js";
import { SseStream } from "./sse.js";

/**
 * A streaming answer in OpenAI's chunk format: a role delta first, one content delta per piece of
 * text, a final chunk with finish_reason (and the `frame_fusion` report when asked), a usage chunk when asked, then `[DONE]`. An internal error
 * after the headers went out is sent as an `error` event (the official clients raise it).
 */
export async function sendStream(
  reply: FastifyReply, c: StartedCompletion, id: CompletionId, includeUsage: boolean,
  isEog: (t: number) => boolean, log: FastifyBaseLogger,
): Promise<Outcome> {
  const sse = new SseStream();
  reply
    .header("content-type", "text/event-stream; charset=utf-8")
    .header("cache-control", "no-cache")
    .header("x-accel-buffering", "no")
    .send(sse.stream);
  sse.send(chunkBody(id, { role: "assistant", content: "" }, null, includeUsage));
  try {
    for (;;) {
      const r = await c.steps.next();
      if (!r.done) {
        if (r.value.text !== "") sse.send(chunkBody(id, { content: r.value.text }, null, includeUsage));
        continue;
      }
      const res = r.value;
      const completionTokens = res.tokens.filter((t) => !isEog(t)).length;
      sse.send(chunkBody(id, {}, apiFinishReason(res.finishReason), includeUsage, extrasOf(c)));
      if (includeUsage) sse.send(usageChunkBody(id, usage(c.promptRows, completionTokens)));
      sse.done();
      return { result: res, completionTokens };
    }
  } catch (error) {
    log.error({ err: error }, "generation failed mid-stream");
    sse.send(new ApiError(500, "The server had an error while generating.", "internal_error").body());
    sse.done();
    return { result: null, completionTokens: 0, error };
  }
}
