/** Shared by the server tests: the tiny fixture model (random weights, deterministic when greedy) behind a loopback server. */
import { Writable } from "node:stream";
import OpenAI from "openai";
import { pino } from "pino";
import { openVlm, type OpenedVlm } from "../../src/node/open-vlm.js";
import { createServer, type PocketServer } from "../../src/server/app.js";
import type { ServerOptionsInput } from "../../src/server/options.js";

export const FIXTURE = "test/fixtures/llamacpp/minicpmv-4.5";

let shared: Promise<OpenedVlm> | undefined;

/** One model per test process (loading is cheap, but there is no need to repeat it). */
export function fixtureVlm(): Promise<OpenedVlm> {
  return (shared ??= openVlm({ model: `${FIXTURE}/llm-f16.gguf`, mmproj: `${FIXTURE}/mmproj-f16.gguf`, backend: "js" }));
}

export interface TestServer {
  readonly server: PocketServer;
  readonly vlm: OpenedVlm;
  readonly base: string;
  readonly client: OpenAI;
  /** JSON log lines written so far. */
  readonly logs: Record<string, unknown>[];
  health(): Promise<Health>;
  close(): Promise<void>;
}

export interface Health {
  status: string;
  queue: { running: number; waiting: number };
  completions: number;
  completion_tokens: number;
  groundings: number;
  cancelled: { disconnect: number; timeout: number; shutdown: number };
}

/** A server on a loopback port; by default around the fixture model, or around `model.vlm` (e.g. the built-in one). */
export async function startTestServer(options: ServerOptionsInput = {}, model?: { vlm: OpenedVlm; modelName?: string }): Promise<TestServer> {
  const vlm = model?.vlm ?? await fixtureVlm();
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split("\n")) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const server = createServer({ vlm, modelPath: vlm.paths.model, modelName: model?.modelName, options, logger: pino({ level: "info" }, sink) });
  await server.app.listen({ host: "127.0.0.1", port: 0 });
  const addr = server.app.server.address();
  if (typeof addr !== "object" || addr === null) throw new Error("no address");
  const base = `http://127.0.0.1:${addr.port}`;
  const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: "not-needed", maxRetries: 0, timeout: 60_000 });
  return {
    server, vlm, base, client, logs,
    health: async () => (await (await fetch(`${base}/health`)).json()) as Health,
    close: () => server.shutdown(0),
  };
}

/** Polls until `f` is true (or throws after `ms`). */
export async function until(f: () => boolean | Promise<boolean>, ms = 10_000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
