/**
 * `npm run loadtest`: starts `pocketvlm serve` on loopback, fires N concurrent image requests (default
 * 50; ShapesWorld test-split scenes), counts that every one is answered, checks the answers (against
 * the expected answers on the ShapesWorld model; against the library's own greedy answers on any
 * model), reports p50/p95 latency and peak memory; then a malformed-request sweep (every kind must
 * be a 4xx in OpenAI's shape) while a valid stream runs in parallel; then SIGTERM (must exit 0).
 * Bounded: at most 200 requests, and an overall time budget that aborts everything.
 *
 *   npm run loadtest -- [--fixture | --model f.gguf --mmproj m.gguf [--check-answers]]
 *                       [--requests 50] [--max-tokens 32] [--verify N] [--budget-s 900] [--backend auto] [--json]
 *
 * --verify N: recompute the first N answers with the library in this process (default: all; 0 = skip).
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { isCorrect, type QuestionType } from "../src/datasets/shapesworld/index.js";
import { defaultModelPaths } from "../src/node/default-model.js";
import type { BackendChoice } from "../src/node/load-llm.js";
import { imageQuestions } from "./server/image-requests.js";
import { isOpenAiError, malformedRequests, sendCase } from "./server/malformed-requests.js";
import { percentile } from "./server/percentiles.js";
import { mb, ms, printTable } from "./server/report.js";
import { spawnServer } from "./server/spawn-server.js";
import { libraryAnswers } from "./server/verify-library.js";

const FIXTURE = "test/fixtures/llamacpp/minicpmv-4.5";
const { values: a } = parseArgs({
  options: {
    model: { type: "string" }, mmproj: { type: "string" }, fixture: { type: "boolean" }, "check-answers": { type: "boolean" },
    requests: { type: "string", default: "50" }, "max-tokens": { type: "string", default: "32" }, verify: { type: "string" },
    "budget-s": { type: "string", default: "900" }, backend: { type: "string", default: "auto" }, threads: { type: "string" },
    json: { type: "boolean" },
  },
});
const int = (name: string, v: string, max: number) => {
  const x = Number(v);
  if (!Number.isInteger(x) || x < 0 || x > max) throw new Error(`--${name} must be an integer in 0..${max}`);
  return x;
};
const N = int("requests", a.requests!, 200);
const maxTokens = int("max-tokens", a["max-tokens"]!, 512);
const budgetMs = int("budget-s", a["budget-s"]!, 3600) * 1000;
const backend = a.backend as BackendChoice;

function builtInExists(): boolean {
  try { defaultModelPaths(); return true; } catch { return false; }
}
let model: { model?: string; mmproj?: string };
let kind: string;
if (a.model) { model = { model: a.model, mmproj: a.mmproj }; kind = a["check-answers"] ? "shapesworld" : "custom"; }
else if (!a.fixture && builtInExists()) { model = {}; kind = "shapesworld"; }
else { model = { model: `${FIXTURE}/llm-f16.gguf`, mmproj: `${FIXTURE}/mmproj-f16.gguf` }; kind = "fixture"; }
if (model.model && !existsSync(model.model)) throw new Error(`${model.model} does not exist`);
const verifyN = Math.min(N, a.verify === undefined ? N : int("verify", a.verify, 200));

const sweepLimits = { maxImages: 8, maxImageBytes: 1_000_000, maxImagePixels: 2048 * 2048, bodyLimit: 4_000_000 };
const deadline = AbortSignal.timeout(budgetMs);
const log = (s: string) => { if (!a.json) process.stderr.write(`[loadtest] ${s}\n`); };

log(`model: ${kind === "shapesworld" && !a.model ? "built-in ShapesWorld" : model.model} (${kind}); ${N} concurrent image requests`);
const questions = await imageQuestions(N, maxTokens);
const t0 = performance.now();
const server = await spawnServer([
  ...(model.model ? ["--model", model.model, "--mmproj", model.mmproj!] : []),
  "--port", "0", "--backend", backend, ...(a.threads ? ["--threads", a.threads] : []),
  "--max-queue", String(N + 8), "--timeout-ms", String(budgetMs),
  "--max-images", String(sweepLimits.maxImages), "--max-image-bytes", String(sweepLimits.maxImageBytes),
  "--max-image-pixels", String(sweepLimits.maxImagePixels), "--max-body-bytes", String(sweepLimits.bodyLimit),
  "--grace-ms", "5000",
]);
const loadMs = performance.now() - t0;
const contextLength = Number(server.logs.find((l) => l.msg === "model loaded")?.context ?? 4096);
log(`server up at ${server.url} in ${ms(loadMs)}`);

// 1. N concurrent image requests
interface Answer { status: number; text: string | null; ms: number; promptTokens: number; completionTokens: number; error?: string }
const post = (body: unknown, signal: AbortSignal) => fetch(`${server.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal });
const tLoad = performance.now();
const answers: Answer[] = await Promise.all(questions.map(async (q): Promise<Answer> => {
  const s = performance.now();
  try {
    const res = await post(q.body, deadline);
    const body = (await res.json()) as { choices?: { message: { content: string } }[]; usage?: { prompt_tokens: number; completion_tokens: number }; error?: { message: string } };
    return {
      status: res.status, text: body.choices?.[0]?.message.content ?? null, ms: performance.now() - s,
      promptTokens: body.usage?.prompt_tokens ?? 0, completionTokens: body.usage?.completion_tokens ?? 0, error: body.error?.message,
    };
  } catch (e) {
    return { status: 0, text: null, ms: performance.now() - s, promptTokens: 0, completionTokens: 0, error: (e as Error).message };
  }
}));
const loadWallMs = performance.now() - tLoad;
const answered = answers.filter((x) => x.status === 200 && x.text !== null);
const lat = answered.map((x) => x.ms);
log(`${answered.length}/${N} answered in ${ms(loadWallMs)}`);

let correct: number | null = null;
const byType = new Map<QuestionType, [number, number]>();
if (kind === "shapesworld") {
  correct = 0;
  questions.forEach((q, i) => {
    const ok = answers[i].text !== null && isCorrect(q.qa, answers[i].text!);
    if (ok) correct!++;
    const [c, n] = byType.get(q.qa.type) ?? [0, 0];
    byType.set(q.qa.type, [c + (ok ? 1 : 0), n + 1]);
  });
}

// 2. malformed-request sweep while a valid stream runs
const cases = await malformedRequests({ ...sweepLimits, contextLength });
const streamBody = {
  ...questions[0].body, max_tokens: 200, stream: true,
  response_format: { type: "json_schema", json_schema: { name: "long", schema: { type: "string", minLength: 100_000 } } },
};
const tSweep = performance.now();
let streamDoneAt = 0;
const stream = post(streamBody, deadline).then(async (res) => {
  const text = await res.text();
  streamDoneAt = performance.now();
  const finish = /"finish_reason":"(\w+)"/.exec(text)?.[1] ?? null;
  return { status: res.status, done: text.endsWith("data: [DONE]\n\n"), finish, chunks: text.split("\n\n").filter(Boolean).length };
});
const sweep = await Promise.all(cases.map(async (c) => {
  const r = await sendCase(server.url, c).catch((e: Error) => ({ status: 0, body: { transport: e.message } }));
  return { c, r, at: performance.now() };
}));
const streamResult = await stream;
const sweepOk = sweep.filter(({ c, r }) => r.status === c.status && r.status >= 400 && r.status < 500 && isOpenAiError(r.body)
  && (!c.code || (r.body as { error: { code: string } }).error.code === c.code));
const duringStream = sweep.filter((s) => s.at < streamDoneAt).length;
const health = (await (await fetch(`${server.url}/health`)).json()) as { status: string; responses: Record<string, number> };

// 3. graceful shutdown
const exitCode = await server.stop();
const internalErrors = server.logs.filter((l) => Number(l.level) >= 50).length;
// the server's own account (read after exit, so every line is in): N image completions + the stream
const served = server.logs.filter((l) => l.msg === "completion");
const serviceMs = served.filter((l) => l.stream === false).map((l) => Number(l.prefill_ms) + Number(l.decode_ms));

// 4. the same answers from the library, in this process (greedy: must be identical)
let identical: number | null = null;
let libraryCorrect: number | null = null;
if (verifyN > 0) {
  log(`recomputing ${verifyN} answers with the library in-process`);
  const lib = await libraryAnswers({ ...model, backend, threads: a.threads ? Number(a.threads) : undefined }, questions.slice(0, verifyN), maxTokens);
  identical = lib.filter((t, i) => t === answers[i].text).length;
  if (kind === "shapesworld") libraryCorrect = lib.filter((t, i) => isCorrect(questions[i].qa, t)).length;
}

const result = {
  model: kind === "shapesworld" && !a.model ? "built-in ShapesWorld" : model.model, kind, backend,
  load_ms: Math.round(loadMs),
  requests: N, answered: answered.length, lost: N - answers.filter((x) => x.status !== 0).length,
  non_200: answers.filter((x) => x.status !== 200).map((x) => ({ status: x.status, error: x.error })),
  server_completion_lines: served.length,
  accuracy: correct === null ? null : correct / N,
  accuracy_by_type: Object.fromEntries([...byType].map(([t, [c, n]]) => [t, `${c}/${n}`])),
  identical_to_library: identical === null ? null : `${identical}/${verifyN}`,
  library_accuracy_on_verified: libraryCorrect === null ? null : libraryCorrect / verifyN,
  wall_ms: Math.round(loadWallMs), throughput_rps: Number((answered.length / (loadWallMs / 1000)).toFixed(2)),
  latency_ms: { p50: Math.round(percentile(lat, 50)), p95: Math.round(percentile(lat, 95)), max: Math.round(Math.max(...lat)) },
  service_ms: { p50: Math.round(percentile(serviceMs, 50)), p95: Math.round(percentile(serviceMs, 95)) },
  prompt_tokens_per_request: Math.round(answered.reduce((s, x) => s + x.promptTokens, 0) / Math.max(1, answered.length)),
  completion_tokens_total: answered.reduce((s, x) => s + x.completionTokens, 0),
  memory: { rss_after_load: server.memory.rssAfterLoad, rss_max_polled: server.memory.rssMax, peak_rss: server.memory.peakRss },
  sweep: {
    kinds: cases.length, answered_as_expected: sweepOk.length, answered_during_stream: duringStream,
    failures: sweep.filter((s) => !sweepOk.includes(s)).map(({ c, r }) => ({ name: c.name, expected: c.status, got: r.status, body: r.body })),
    stream: streamResult, sweep_ms: Math.round(Math.max(...sweep.map((s) => s.at)) - tSweep), stream_ms: Math.round(streamDoneAt - tSweep),
  },
  health_after: health.status, responses: health.responses, internal_error_log_lines: internalErrors, exit_code: exitCode,
};
const pass = result.answered === N && result.lost === 0 && result.server_completion_lines === N + 1
  && result.sweep.answered_as_expected === cases.length && streamResult.done && streamResult.status === 200
  && exitCode === 0 && internalErrors === 0 && (identical === null || identical === verifyN);

if (a.json) {
  console.log(JSON.stringify({ pass, ...result }, null, 2));
} else {
  printTable(`pocketvlm serve load test — ${pass ? "PASS" : "FAIL"}`, [
    ["model", `${result.model} (${kind}, backend ${backend})`],
    ["model load", ms(loadMs)],
    ["concurrent image requests", N],
    ["answered (200)", result.answered],
    ["lost", result.lost],
    ["server completion log lines", `${result.server_completion_lines} (${N} + the sweep's stream)`],
    ["accuracy vs expected answers", correct === null ? "n/a (not the ShapesWorld model)" : `${correct}/${N} = ${(100 * correct / N).toFixed(1)}%`],
    ["identical to library (greedy)", result.identical_to_library ?? "not checked"],
    ...(libraryCorrect === null ? [] : [["library accuracy, same questions", `${libraryCorrect}/${verifyN}`] as [string, string]]),
    ["wall time", ms(loadWallMs)],
    ["throughput", `${result.throughput_rps} req/s`],
    ["latency p50 / p95 / max", `${result.latency_ms.p50} / ${result.latency_ms.p95} / ${result.latency_ms.max} ms`],
    ["service time p50 / p95", `${result.service_ms.p50} / ${result.service_ms.p95} ms (prompt + decode, one at a time)`],
    ["prompt tokens / request", result.prompt_tokens_per_request],
    ["memory after load / peak", `${mb(server.memory.rssAfterLoad)} / ${mb(server.memory.peakRss)}`],
    ["malformed sweep", `${sweepOk.length}/${cases.length} kinds answered with their 4xx (${duringStream} before the stream ended)`],
    ["parallel valid stream", `${streamResult.status}, finish ${streamResult.finish}, ${streamResult.done ? "[DONE]" : "NOT DONE"}, ${streamResult.chunks} events, ${ms(result.sweep.stream_ms)}`],
    ["internal errors in log", internalErrors],
    ["SIGTERM exit code", String(exitCode)],
  ]);
  if (byType.size > 0) printTable("accuracy by question type", [...byType].map(([t, [c, n]]) => [t, `${c}/${n}`]));
  for (const f of result.sweep.failures) console.log(`sweep failure: ${f.name}: expected ${f.expected}, got ${f.got} ${JSON.stringify(f.body).slice(0, 300)}`);
  for (const x of result.non_200) console.log(`request failure: ${x.status} ${x.error}`);
}
process.exitCode = pass ? 0 : 1;
