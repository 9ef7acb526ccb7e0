import type { Logger } from "pino";
import { formatHubModelRef, isHubModelRef, parseHubModelRef } from "../hub/model-ref.js";
import { openVlm, type OpenedVlm } from "../node/open-vlm.js";
import type { BackendOptions } from "../node/load-llm.js";
import { createServer, type PocketServer } from "./app.js";
import type { ServerOptionsInput } from "./options.js";

export interface StartOptions extends BackendOptions {
  /** LLM GGUF; default: the built-in ShapesWorld model. */
  readonly model?: string;
  readonly mmproj?: string;
  readonly host: string;
  readonly port: number;
  readonly server?: ServerOptionsInput;
  /** Grace period of a SIGINT/SIGTERM shutdown. */
  readonly graceMs: number;
  readonly logger: Logger;
}

export interface StartedServer {
  readonly server: PocketServer;
  readonly vlm: OpenedVlm;
  readonly url: string;
  /** Graceful shutdown then model disposal (what SIGINT/SIGTERM run). */
  stop(): Promise<void>;
}

export const BUILT_IN_NAME = "shapesworld";

/** A Hub model is named by its repo (and quant), as the user wrote it without "hf:"; a local file by its basename (undefined here). */
function hubModelName(model: string): string | undefined {
  if (!isHubModelRef(model)) return undefined;
  return formatHubModelRef(parseHubModelRef(model));
}

/** Loads the model (progress as log lines), starts listening, and shuts down gracefully on SIGINT/SIGTERM. */
export async function startServer(o: StartOptions): Promise<StartedServer> {
  const log = o.logger;
  const t0 = performance.now();
  let lastStep = -1;
  log.info({ model: o.model ?? `${BUILT_IN_NAME} (built-in)`, mmproj: o.mmproj ?? null }, "loading model");
  let lastDownload = "";
  const vlm = await openVlm({
    model: o.model, mmproj: o.mmproj, backend: o.backend, threads: o.threads,
    hub: {
      onProgress: (file, done, total) => {
        const tenth = `${file} ${total > 0 ? Math.floor((done / total) * 10) : 0}`;
        if (tenth === lastDownload) return;
        lastDownload = tenth;
        log.info({ file, done_bytes: done, total_bytes: total }, "downloading model");
      },
    },
    onProgress: (stage, fraction) => {
      const step = Math.floor(fraction * 4) + (stage === "vision" ? 10 : 0);
      if (step === lastStep) return;
      lastStep = step;
      log.info({ stage, percent: Math.round(fraction * 100), elapsed_ms: Math.round(performance.now() - t0) }, "loading model");
    },
  });
  const cfg = vlm.llm.config;
  log.info({
    model: vlm.paths.model, mmproj: vlm.paths.mmproj, arch: cfg.arch, layers: cfg.nLayers, context: cfg.contextLength,
    vocab: vlm.tokenizer.nTokens, backend: vlm.backend.constructor.name, load_ms: Math.round(performance.now() - t0),
  }, "model loaded");
  const server = createServer({ vlm, modelPath: vlm.paths.model, modelName: o.model === undefined ? BUILT_IN_NAME : hubModelName(o.model), options: o.server, logger: log });
  try {
    await server.app.listen({ host: o.host, port: o.port });
  } catch (e) {
    await vlm.dispose();
    throw e;
  }
  const addr = server.app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : o.port;
  const url = `http://${o.host.includes(":") ? `[${o.host}]` : o.host}:${port}`;
  log.info({ url, model_id: server.context.models.id, ...server.context.options.images, max_queue: server.context.options.maxQueue, timeout_ms: server.context.options.timeoutMs }, "listening");

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    await server.shutdown(o.graceMs);
    await vlm.dispose();
    log.info({ stats: server.context.stats }, "stopped");
  })());
  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal, grace_ms: o.graceMs }, "shutting down");
    stop().then(() => { log.flush(); process.exit(0); }, (e: unknown) => { log.error({ err: e }, "shutdown failed"); log.flush(); process.exit(1); });
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  return { server, vlm, url, stop };
}
