import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { MiniCPMV } from "../multimodal/vlm.js";
import { TokenTrie } from "../runtime/constraints/index.js";
import { ApiError } from "./api-error.js";
import type { ServerContext } from "./context.js";
import { longestPieceBytes } from "./context-precheck.js";
import { installErrorHandlers } from "./error-handler.js";
import { FifoQueue } from "./fifo-queue.js";
import { constraintVocab } from "./json-vocab.js";
import { ModelIds } from "./model-ids.js";
import { serverOptions, type ServerOptionsInput } from "./options.js";
import { registerChatRoute } from "./routes/chat-completions.js";
import { registerGroundRoute } from "./routes/ground.js";
import { registerHealthRoute } from "./routes/health.js";
import { registerModelRoutes } from "./routes/models.js";
import { ServerStats } from "./stats.js";

export interface CreateServerInput {
  readonly vlm: MiniCPMV;
  /** The model file (its basename is the model id) … */
  readonly modelPath: string;
  /** … unless it has a name: the built-in model's, or the Hub repo it came from. */
  readonly modelName?: string;
  readonly options?: ServerOptionsInput;
  readonly logger?: FastifyBaseLogger;
}

export interface PocketServer {
  readonly app: FastifyInstance;
  readonly context: ServerContext;
  /**
   * Stops accepting, lets queued and running requests finish for `graceMs`, then cancels what is left
   * (running generations end early, waiting ones get 503) and closes the listener.
   */
  shutdown(graceMs: number): Promise<void>;
}

/** The OpenAI-compatible HTTP server around one loaded model (not yet listening). */
export function createServer(input: CreateServerInput): PocketServer {
  const options = serverOptions(input.options);
  const app = Fastify({
    loggerInstance: input.logger,
    logController: new LogController({ disableRequestLogging: true }), // one line per request, from onResponse below
    bodyLimit: options.bodyLimit,
    requestTimeout: 60_000, // to receive a whole request (slow uploads), not to answer it
    return503OnClosing: false,
    forceCloseConnections: "idle",
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, verbose: true, discriminator: true, allowUnionTypes: true } },
  });
  const vocab = constraintVocab(input.vlm.tokenizer);
  TokenTrie.of(vocab); // build the masking tries now, not on the first json request
  const shutdown = new AbortController();
  let closing = false;
  const context: ServerContext = {
    vlm: input.vlm,
    models: new ModelIds(input.modelPath, input.modelName),
    vocab,
    longestPiece: longestPieceBytes(input.vlm.tokenizer),
    queue: new FifoQueue(options.maxQueue),
    options,
    stats: new ServerStats(),
    shutdownSignal: shutdown.signal,
    closing: () => closing,
  };
  installErrorHandlers(app);
  app.addHook("onRequest", async (request) => {
    if (closing && request.url !== "/health") throw new ApiError(503, "The server is shutting down.", "shutting_down");
  });
  app.addHook("onResponse", async (request, reply) => {
    context.stats.countResponse(reply.statusCode);
    request.log.info({ method: request.method, url: request.url.slice(0, 200), status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, "request");
  });
  registerChatRoute(app, context);
  registerGroundRoute(app, context);
  registerModelRoutes(app, context);
  registerHealthRoute(app, context);

  return {
    app,
    context,
    async shutdown(graceMs) {
      if (closing) return;
      closing = true;
      const closed = app.close();
      const timer = setTimeout(() => {
        context.queue.close();
        shutdown.abort("shutdown");
      }, graceMs);
      try {
        await context.queue.idle();
      } finally {
        clearTimeout(timer);
      }
      // nothing waits or runs: refuse late arrivals (still fetching their images), close keep-alive
      // sockets as their responses finish (cut them after 5 s), and make sure no generation is left
      context.queue.close();
      const reaper = setInterval(() => app.server.closeIdleConnections(), 50);
      const hard = setTimeout(() => app.server.closeAllConnections(), 5000);
      try {
        await closed;
        await context.queue.idle();
      } finally {
        clearInterval(reaper);
        clearTimeout(hard);
      }
    },
  };
}
