import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { isUserError } from "../../errors.js";
import { groundByAttention, groundingQuestion, type GroundResult } from "../../grounding/ground.js";
import { groundingJson } from "../../grounding/report.js";
import type { RgbImage } from "../../multimodal/image/rgb-image.js";
import { ApiError, fromUserError } from "../api-error.js";
import type { ServerContext } from "../context.js";
import { precheckContext } from "../context-precheck.js";
import { imageBytes } from "../image-bytes.js";
import { decodePendingImage } from "../images.js";
import { acquireModel } from "../queue-slot.js";
import { RequestCancel } from "../request-cancel.js";
import { groundRequestSchema, type GroundRequest } from "../schemas/ground-request.js";

/**
 * `POST /v1/ground`: where `target` is in the image, from the model's attention (TAG, the library's
 * `groundByAttention`; no generation): the point and the best box in pixels and in MiniCPM-V's 0–1000
 * coordinates. Same order of work as the chat endpoint: schema, model name, question and context
 * pre-check, the image fetched and checked — all before queueing, so bad requests never wait — then
 * the FIFO slot, decoding, one prefill.
 */
export function registerGroundRoute(app: FastifyInstance, ctx: ServerContext): void {
  app.post("/v1/ground", { schema: { body: groundRequestSchema } }, async (request, reply) => {
    const body = request.body as GroundRequest;
    ctx.models.check(body.model);
    let question: string;
    try {
      question = groundingQuestion(body.target, body.question ?? undefined);
    } catch (e) {
      throw fromUserError(e, "question");
    }
    const contextLength = ctx.vlm.llm.config.contextLength;
    precheckContext([{ role: "user", content: question }], ctx.longestPiece, contextLength);
    const limits = ctx.options.images;
    const [url, param] = typeof body.image_url === "string" ? [body.image_url, "image_url"] : [body.image_url.url, "image_url.url"];
    if (limits.maxImages < 1) throw new ApiError(400, "This server accepts no images (--max-images 0).", "too_many_images", param);
    const cancel = new RequestCancel(reply.raw, ctx.options.timeoutMs, ctx.shutdownSignal);
    const t0 = performance.now();
    try {
      const bytes = await imageBytes(url, limits, param);
      const release = await acquireModel(ctx.queue, cancel, ctx.options.timeoutMs);
      const queueMs = performance.now() - t0;
      let image: RgbImage;
      let r: GroundResult;
      try {
        image = await decodePendingImage({ type: "pending_image", bytes, param }, limits.maxPixels);
        r = await groundByAttention(ctx.vlm, image, body.target, {
          question,
          topHeads: body.top_heads ?? undefined,
          threshold: body.threshold ?? undefined,
          maxSliceNums: body.max_slice_nums ?? undefined,
          signal: cancel.signal,
        });
      } catch (e) {
        throw groundingError(e, cancel, contextLength, param, ctx.options.timeoutMs);
      } finally {
        release();
      }
      const out = groundingJson(r, image);
      ctx.stats.groundings++;
      request.log.info({
        target: body.target.slice(0, 100), prompt_tokens: r.promptRows, point_1000: out.point_1000, confidence: out.confidence,
        queue_ms: Math.round(queueMs), ground_ms: Math.round(performance.now() - t0 - queueMs),
      }, "grounding");
      return {
        id: `ground-${randomBytes(12).toString("hex")}`, object: "grounding", created: Math.floor(Date.now() / 1000), model: ctx.models.id,
        target: body.target, question, ...out, usage: { prompt_tokens: r.promptRows },
      };
    } finally {
      cancel.dispose();
      if (cancel.reason) ctx.stats.cancelled[cancel.reason]++;
    }
  });
}

/** The library's refusals while grounding → HTTP: a prompt past the context, a cancelled request, a bad target. */
function groundingError(e: unknown, cancel: RequestCancel, contextLength: number, param: string, timeoutMs: number): unknown {
  if (!isUserError(e)) return e;
  if (e.code === "aborted") {
    if (cancel.reason === "timeout") return new ApiError(503, `The request ran longer than its time limit (${timeoutMs} ms).`, "timeout");
    if (cancel.reason === "shutdown") return new ApiError(503, "The server is shutting down.", "shutting_down");
    return new ApiError(499, "The client closed the connection.", "client_closed_request");
  }
  if (e.code === "too_large") {
    return new ApiError(400, `This model's maximum context length is ${contextLength} tokens: ${e.message}. Send a smaller image or a lower max_slice_nums.`, "context_length_exceeded", param);
  }
  return fromUserError(e, "target");
}
