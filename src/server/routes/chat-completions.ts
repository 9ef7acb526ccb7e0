import type { FastifyInstance } from "fastify";
import { startCompletion, type StartedCompletion } from "../completion.js";
import type { ServerContext } from "../context.js";
import { precheckContext } from "../context-precheck.js";
import { resolveMessages } from "../images.js";
import type { Outcome } from "../outcome.js";
import { planCompletion } from "../plan.js";
import { acquireModel } from "../queue-slot.js";
import { RequestCancel } from "../request-cancel.js";
import { frameFusionBody, newCompletionId } from "../responses.js";
import { chatRequestSchema, type ChatRequest } from "../schemas/chat-request.js";
import { sendStream } from "../stream-response.js";
import { sendWhole } from "../whole-response.js";

/**
 * `POST /v1/chat/completions`. Order of work: schema validation (by fastify, before this runs), model
 * name, context pre-check, generation plan (incl. the JSON constraint and `frame_fusion`), images fetched and checked —
 * all before queueing, so bad requests never wait — then the FIFO slot, image decoding, the prompt
 * (exact context check) and generation.
 */
export function registerChatRoute(app: FastifyInstance, ctx: ServerContext): void {
  const isEog = (t: number) => ctx.vlm.tokenizer.isEog(t);
  app.post("/v1/chat/completions", { schema: { body: chatRequestSchema } }, async (request, reply) => {
    const body = request.body as ChatRequest;
    ctx.models.check(body.model);
    precheckContext(body.messages, ctx.longestPiece, ctx.vlm.llm.config.contextLength);
    const plan = planCompletion(body, ctx.vocab, ctx.options.defaults);
    const cancel = new RequestCancel(reply.raw, ctx.options.timeoutMs, ctx.shutdownSignal);
    const t0 = performance.now();
    try {
      const { messages, images } = await resolveMessages(body.messages, ctx.options.images);
      const release = await acquireModel(ctx.queue, cancel, ctx.options.timeoutMs);
      const queueMs = performance.now() - t0;
      let outcome: Outcome;
      let promptRows = 0;
      let fusion: StartedCompletion["frameFusion"] = null;
      try {
        const started = await startCompletion(ctx.vlm, messages, ctx.options.images.maxPixels, plan, cancel.signal);
        promptRows = started.promptRows;
        fusion = started.frameFusion;
        const id = newCompletionId(ctx.models.id);
        outcome = plan.stream
          ? await sendStream(reply, started, id, plan.includeUsage, isEog, request.log)
          : await sendWhole(reply, started, id, isEog);
      } finally {
        release();
      }
      const res = outcome.result;
      const s = ctx.stats;
      s.completions++;
      s.promptTokens += promptRows;
      s.completionTokens += outcome.completionTokens;
      request.log.info({
        stream: plan.stream, images, prompt_tokens: promptRows, completion_tokens: outcome.completionTokens,
        finish_reason: res?.finishReason ?? "error", cancelled: cancel.reason ?? null,
        queue_ms: Math.round(queueMs), prefill_ms: Math.round(res?.prefillMs ?? 0), decode_ms: Math.round(res?.decodeMs ?? 0),
        ...(fusion ? { frame_fusion: frameFusionBody(fusion()) } : {}),
      }, "completion");
      return reply;
    } finally {
      cancel.dispose();
      if (cancel.reason) ctx.stats.cancelled[cancel.reason]++;
    }
  });
}
