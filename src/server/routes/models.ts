import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";

/** `GET /v1/models` and `GET /v1/models/:id`: the one model this server serves. */
export function registerModelRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const card = () => ({ id: ctx.models.id, object: "model", created: Math.floor(ctx.stats.startedAt / 1000), owned_by: "pocketvlm" });
  app.get("/v1/models", async () => ({ object: "list", data: [card()] }));
  app.get<{ Params: { id: string } }>("/v1/models/:id", async (request) => {
    ctx.models.check(request.params.id);
    return card();
  });
}
