import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";

/** `GET /health`: liveness, the queue, counters and memory (rss now and peak) — 503 while shutting down. */
export function registerHealthRoute(app: FastifyInstance, ctx: ServerContext): void {
  app.get("/health", async (_request, reply) => {
    const mem = process.memoryUsage();
    const s = ctx.stats;
    reply.code(ctx.closing() ? 503 : 200);
    return {
      status: ctx.closing() ? "shutting_down" : "ok",
      model: ctx.models.id,
      queue: { running: ctx.queue.running ? 1 : 0, waiting: ctx.queue.waiting, max_waiting: ctx.queue.maxWaiting },
      completions: s.completions,
      prompt_tokens: s.promptTokens,
      completion_tokens: s.completionTokens,
      groundings: s.groundings,
      cancelled: s.cancelled,
      responses: s.responses,
      uptime_s: Math.round((Date.now() - s.startedAt) / 1000),
      memory: { rss_bytes: mem.rss, peak_rss_bytes: process.resourceUsage().maxRSS * 1024, heap_used_bytes: mem.heapUsed },
    };
  });
}
