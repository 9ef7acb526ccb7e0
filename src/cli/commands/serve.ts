import { Option, type Command } from "commander";
import type { BackendChoice } from "../../node/load-llm.js";
import { DEFAULT_SERVER_OPTIONS } from "../../server/options.js";
import { createLogger } from "../../server/logger.js";
import { startServer } from "../../server/start.js";
import { parseNumber, positiveInt, MMPROJ_OPTION, MODEL_OPTION } from "../options.js";

interface ServeFlags {
  model?: string;
  mmproj?: string;
  host: string;
  port: string;
  backend: BackendChoice;
  threads?: string;
  allowLocalFiles?: boolean;
  allowRemoteImages?: boolean;
  maxQueue: string;
  timeoutMs: string;
  maxImages: string;
  maxImageBytes: string;
  maxImagePixels: string;
  remoteTimeoutMs: string;
  maxTokens: string;
  temperature: string;
  graceMs: string;
  maxBodyBytes: string;
  logLevel: string;
}

const d = DEFAULT_SERVER_OPTIONS;

/** `pocketvlm serve`: the OpenAI-compatible HTTP server (JSON-lines logs on stdout). */
export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("serve the model over an OpenAI-compatible HTTP API: POST /v1/chat/completions (video_url parts, with frame_fusion for FrameFusion), POST /v1/ground (TAG: where a phrase is in an image), GET /v1/models, GET /health")
    .option(...MODEL_OPTION)
    .option(...MMPROJ_OPTION)
    .option("--host <addr>", "address to listen on", "127.0.0.1")
    .option("--port <n>", "port (0 = any free port)", "8080")
    .addOption(new Option("--backend <name>", "compute backend").choices(["auto", "js", "wasm"]).default("auto"))
    .option("--threads <n>", "worker threads (default: all cores)")
    .option("--allow-local-files", "accept local paths and file:// URLs as image_url (off: data URIs only)")
    .option("--allow-remote-images", "fetch http(s) image URLs (with the byte and time limits)")
    .option("--max-queue <n>", "most requests waiting for the model; more get 429", String(d.maxQueue))
    .option("--timeout-ms <n>", "per-request time limit, queue wait included", String(d.timeoutMs))
    .option("--max-images <n>", "most images per request", String(d.images.maxImages))
    .option("--max-image-bytes <n>", "most encoded bytes per image", String(d.images.maxBytes))
    .option("--max-image-pixels <n>", "most pixels (width x height) per image", String(d.images.maxPixels))
    .option("--remote-timeout-ms <n>", "time limit of one image download", String(d.images.remoteTimeoutMs))
    .option("--max-body-bytes <n>", "largest request body (data URIs included)", String(d.bodyLimit))
    .option("--max-tokens <n>", "max_tokens when a request gives none", String(d.defaults.maxTokens))
    .option("--temperature <t>", "temperature when a request gives none (OpenAI's default: 1)", String(d.defaults.temperature))
    .option("--grace-ms <n>", "on SIGINT/SIGTERM, time to finish queued and running requests before cancelling them", "10000")
    .addOption(new Option("--log-level <level>", "log level").choices(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"))
    .action(async (f: ServeFlags) => {
      const nonNeg = (flag: string, v: string) => parseNumber(flag, v, (x) => Number.isInteger(x) && x >= 0)!;
      const port = nonNeg("--port", f.port);
      const server = {
        maxQueue: nonNeg("--max-queue", f.maxQueue),
        timeoutMs: positiveInt("--timeout-ms", f.timeoutMs)!,
        bodyLimit: positiveInt("--max-body-bytes", f.maxBodyBytes)!,
        images: {
          maxImages: nonNeg("--max-images", f.maxImages),
          maxBytes: positiveInt("--max-image-bytes", f.maxImageBytes)!,
          maxPixels: positiveInt("--max-image-pixels", f.maxImagePixels)!,
          remoteTimeoutMs: positiveInt("--remote-timeout-ms", f.remoteTimeoutMs)!,
          allowLocalFiles: f.allowLocalFiles === true,
          allowRemote: f.allowRemoteImages === true,
        },
        defaults: {
          maxTokens: positiveInt("--max-tokens", f.maxTokens)!,
          temperature: parseNumber("--temperature", f.temperature, (x) => x >= 0 && x <= 2)!,
        },
      };
      await startServer({
        model: f.model, mmproj: f.mmproj, host: f.host, port, backend: f.backend, threads: positiveInt("--threads", f.threads),
        server, graceMs: nonNeg("--grace-ms", f.graceMs), logger: createLogger(f.logLevel),
      });
    });
}
