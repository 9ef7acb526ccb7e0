/**
 * `npm run bench`: the language-model benchmark.
 *
 * Writes (once, into .cache/bench/) random-weight GGUF models with MiniCPM-V 4.0's LLM dimensions in
 * Q4_0, Q4_K and Q8_0 with the package's own GGUF writer; measures, each (type, threads) in its own
 * child process: load time, prefill tok/s (512-token prompt), decode tok/s (128 tokens), peak RSS;
 * optionally runs llama.cpp's llama-bench on the same files and prints ours/llama.cpp ratios.
 * Run `npm run bench -- --help` for the options.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runLlamaBench, type PeerResult } from "./llama-bench.js";
import { RESULT_MARK, type MeasureFailure, type MeasureRequest, type MeasureResult } from "./measure.js";
import {
  BENCH_TYPES, MINICPMV_4_0, MINICPMV_4_0_SMALL, TINY, bytesPerToken, isBenchType, kvCacheBytes, parameterCount,
  type BenchModelSpec, type BenchTypeName,
} from "./model-spec.js";
import { formatReport, makeRow, TARGETS, type BenchReport, type ModelInfo, type ResultRow } from "./report.js";
import { ensureSyntheticModel } from "./synth-model.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const USAGE = `usage: npm run bench -- [options]

  --types LIST         model types, from q4_0,q4_k,q8_0 (default: all three)
  --threads LIST       thread counts (default: 1,2)
  --reps N             timed repetitions of prefill and decode; medians are reported (default: 3)
  --small              4-layer variant of the model (smoke runs while developing)
  --tiny               toy model (hidden 256, 2 layers, vocab 512; tests)
  --prompt N           prefill tokens (default: 512)
  --gen N              decoded tokens (default: 128)
  --backend B          wasm | js | auto (default: wasm)
  --llama-bench PATH   llama.cpp's llama-bench, run on the same files (default: env LLAMA_BENCH)
  --no-peer            ignore LLAMA_BENCH
  --peer-env K=V       environment variable for llama-bench only (repeatable)
  --profile-steps N    decode steps timed op by op after the measurement, then one profiled prefill
                       (default: 8; 0 = no profiles)
  --cache-dir DIR      where the models are written (default: .cache/bench)
  --wait-load X        before measuring, wait until the 1-minute load average is below X
  --generate-only      write the models and stop
  --json               print exactly one JSON object on stdout (progress goes to stderr); through npm
                       use \`npm run -s bench -- --json\` so npm's own banner stays off stdout
`;

const log = (s: string) => process.stderr.write(`${s}\n`);

function fail(msg: string): never {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(2);
}

function positiveInt(name: string, v: string | undefined, fallback: number, allowZero = false): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) fail(`--${name} ${v} should be a ${allowZero ? "non-negative" : "positive"} integer`);
  return n;
}

interface Options {
  spec: BenchModelSpec;
  types: BenchTypeName[];
  threads: number[];
  reps: number;
  prompt: number;
  gen: number;
  backend: "wasm" | "js" | "auto";
  peer?: string;
  peerEnv: Record<string, string>;
  profileSteps: number;
  cacheDir: string;
  waitLoad?: number;
  generateOnly: boolean;
  json: boolean;
}

function options(argv: string[]): Options {
  let a;
  try {
    a = parseArgs({
      args: argv,
      options: {
        types: { type: "string" },
        threads: { type: "string" },
        reps: { type: "string" },
        small: { type: "boolean" },
        tiny: { type: "boolean" },
        prompt: { type: "string" },
        gen: { type: "string" },
        backend: { type: "string" },
        "llama-bench": { type: "string" },
        "no-peer": { type: "boolean" },
        "peer-env": { type: "string", multiple: true },
        "profile-steps": { type: "string" },
        "cache-dir": { type: "string" },
        "wait-load": { type: "string" },
        "generate-only": { type: "boolean" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
  if (a.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (a.small && a.tiny) fail("--small and --tiny exclude each other");
  const types = (a.types ?? "q4_0,q4_k,q8_0").split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
  for (const t of types) if (!isBenchType(t)) fail(`unknown type "${t}" (q4_0, q4_k, q8_0)`);
  const threads = (a.threads ?? "1,2").split(",").map((s) => positiveInt("threads", s.trim(), 1));
  const backend = (a.backend ?? "wasm") as Options["backend"];
  if (!["wasm", "js", "auto"].includes(backend)) fail(`--backend ${backend} should be wasm, js or auto`);
  const peerEnv: Record<string, string> = {};
  for (const kv of a["peer-env"] ?? []) {
    const i = kv.indexOf("=");
    if (i <= 0) fail(`--peer-env ${kv} should be KEY=VALUE`);
    peerEnv[kv.slice(0, i)] = kv.slice(i + 1);
  }
  const waitLoad = a["wait-load"] === undefined ? undefined : Number(a["wait-load"]);
  if (waitLoad !== undefined && !(waitLoad > 0)) fail(`--wait-load ${a["wait-load"]} should be a positive number`);
  return {
    spec: a.tiny ? TINY : a.small ? MINICPMV_4_0_SMALL : MINICPMV_4_0,
    types: types as BenchTypeName[],
    threads: [...new Set(threads)],
    reps: positiveInt("reps", a.reps, 3),
    prompt: positiveInt("prompt", a.prompt, 512),
    gen: positiveInt("gen", a.gen, 128),
    backend,
    peer: a["no-peer"] ? undefined : a["llama-bench"] ?? (process.env.LLAMA_BENCH || undefined),
    peerEnv,
    profileSteps: positiveInt("profile-steps", a["profile-steps"], 8, true),
    cacheDir: resolve(a["cache-dir"] ?? join(ROOT, ".cache", "bench")),
    waitLoad,
    generateOnly: Boolean(a["generate-only"]),
    json: Boolean(a.json),
  };
}

/** Runs one measurement in a child process; its stdout (except the result line) goes to our stderr. */
function measureInChild(req: MeasureRequest): Promise<MeasureResult | MeasureFailure> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "bench", "measure-child.ts"), JSON.stringify(req)], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let result: MeasureResult | MeasureFailure | undefined;
    let buf = "";
    const onLine = (line: string) => {
      if (line.startsWith(RESULT_MARK)) {
        try {
          result = JSON.parse(line.slice(RESULT_MARK.length)) as MeasureResult | MeasureFailure;
        } catch (e) {
          result = { ok: false, error: `unreadable result from the measurement process: ${(e as Error).message}` };
        }
      } else if (line) {
        process.stderr.write(`    ${line}\n`);
      }
    };
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
    child.on("error", (e) => done({ ok: false, error: `cannot start the measurement process: ${e.message}` }));
    child.on("close", (code, signal) => {
      if (buf) onLine(buf);
      done(result ?? { ok: false, error: `the measurement process ended (${signal ?? `exit code ${code}`}) without a result` });
    });
  });
}

interface CpuStat { busy: number; total: number; at: number }

/** Machine-wide CPU seconds from /proc/stat (Linux); undefined elsewhere. */
function cpuStat(): CpuStat | undefined {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = f;
    const hz = 100; // USER_HZ
    return { busy: (user + nice + system + irq + softirq + steal) / hz, total: f.slice(0, 8).reduce((a, b) => a + b, 0) / hz, at: performance.now() / 1000 };
  } catch {
    return undefined;
  }
}

/**
 * Share of all cores that processes other than the measurement used while it ran (0 = quiet machine):
 * machine busy time minus the measurement's own CPU time, over wall time × cores.
 */
function otherCpuShare(a: CpuStat | undefined, b: CpuStat | undefined, ownSeconds: number | undefined): number | undefined {
  if (!a || !b || ownSeconds === undefined) return undefined;
  const cores = cpus().length;
  const wall = b.at - a.at;
  return Math.max(0, (b.busy - a.busy - ownSeconds) / (wall * cores));
}

function paramsText(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} B` : `${(n / 1e6).toFixed(1)} M`;
}

async function waitForLoad(max: number): Promise<void> {
  for (;;) {
    const l = loadavg()[0];
    if (l < max) return;
    log(`load average ${l.toFixed(2)} ≥ ${max}: waiting 15 s before measuring`);
    await new Promise((r) => setTimeout(r, 15000));
  }
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const spec = o.spec;
  const notes: string[] = [];
  const loadAvgStart = loadavg();

  // 1. models (written once, reused while their content matches)
  const models: ModelInfo[] = [];
  for (const t of o.types) {
    log(`model ${spec.id} ${BENCH_TYPES[t].label}:`);
    const m = await ensureSyntheticModel(o.cacheDir, spec, t, log);
    log(`  ${m.reused ? "reusing" : "wrote"} ${m.path} (${(m.bytes / 1e9).toFixed(2)} GB${m.reused ? "" : ` in ${m.seconds.toFixed(0)} s`})`);
    models.push({
      type: t,
      path: m.path,
      fileBytes: m.bytes,
      parameters: parameterCount(spec),
      bytesPerToken: bytesPerToken(spec, BENCH_TYPES[t].type),
      kvCacheBytes: kvCacheBytes(spec, o.prompt + o.gen),
      reused: m.reused,
      writeSeconds: m.seconds,
    });
  }
  if (o.generateOnly) {
    if (o.json) process.stdout.write(`${JSON.stringify({ models })}\n`);
    return;
  }

  // 2. measurements: ours per (type, threads) in child processes, then llama-bench on the same file
  if (o.waitLoad !== undefined) await waitForLoad(o.waitLoad);
  const results: ResultRow[] = [];
  const peerResults: Record<string, PeerResult> = {};
  let unavailable: string | undefined;
  for (const m of models) {
    const ours = new Map<number, MeasureResult | MeasureFailure>();
    for (const threads of o.threads) {
      if (unavailable) {
        ours.set(threads, { ok: false, unavailable: true, error: unavailable });
        continue;
      }
      log(`measuring ${m.type.toUpperCase()} with ${threads} thread(s), backend ${o.backend}:`);
      const statBefore = cpuStat();
      const r0 = await measureInChild({
        path: m.path,
        backend: o.backend,
        threads,
        prompt: o.prompt,
        gen: o.gen,
        reps: o.reps,
        warmupPrompt: Math.min(64, o.prompt),
        profileSteps: o.profileSteps,
        seed: 1234 + threads,
      });
      const r = { ...r0, otherCpu: otherCpuShare(statBefore, cpuStat(), r0.ok ? r0.cpuSeconds : undefined) };
      if (!r.ok) {
        log(`  ${r.error}`);
        if (r.unavailable) unavailable = r.error;
      } else {
        log(`  prefill ${r.prefillTokPerS.toFixed(2)} tok/s, decode ${r.decodeTokPerS.toFixed(2)} tok/s, peak RSS ${(r.maxRssBytes / 1e9).toFixed(2)} GB`);
      }
      ours.set(threads, r);
    }
    let peer: PeerResult | undefined;
    if (o.peer) {
      log(`llama-bench on ${m.type.toUpperCase()} (threads ${o.threads.join(",")}):`);
      peer = await runLlamaBench({ bin: o.peer, file: m.path, prompt: o.prompt, gen: o.gen, threads: o.threads, reps: o.reps, env: o.peerEnv, log });
      peerResults[m.type] = peer;
      if (!peer.ok) log(`  ${peer.error}`);
      else for (const row of peer.rows) log(`  ${row.threads} thread(s): pp ${row.prefillTokPerS?.toFixed(2)} tok/s, tg ${row.decodeTokPerS?.toFixed(2)} tok/s`);
    }
    for (const threads of o.threads) {
      results.push(makeRow(m.type, threads, ours.get(threads)!, m, peer?.rows.find((r) => r.threads === threads)));
    }
  }

  if (unavailable) notes.push(`no numbers of ours: ${unavailable}`);
  notes.push(`decode is measured as llama-bench's tg test: ${o.gen} tokens one per forward call from an empty cache; prefill as its pp test: one forward of ${o.prompt} random ids (logits for the last row only)`);
  notes.push(`RSS target: peak RSS of the measurement process ≤ ${TARGETS.rssRatio} × (file size + our f32 KV cache for ${o.prompt + o.gen} rows = ${(kvCacheBytes(spec, o.prompt + o.gen) / 1e6).toFixed(1)} MB)`);

  const report: BenchReport = {
    benchmark: "pocketvlm llm",
    date: new Date().toISOString(),
    machine: { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, memoryBytes: totalmem(), node: process.version, loadAvgStart, loadAvgEnd: loadavg() },
    settings: {
      model: `${spec.id} (minicpm, ${paramsText(parameterCount(spec))} parameters, random weights)`,
      dims: {
        n_embd: spec.nEmbd, n_layer: spec.nLayers, n_head: spec.nHeads, n_head_kv: spec.nKVHeads, head_dim: spec.headDim,
        n_ff: spec.nFF, n_vocab: spec.nVocab,
      },
      backend: o.backend,
      prompt: o.prompt,
      gen: o.gen,
      reps: o.reps,
      threads: o.threads,
      types: o.types,
    },
    targets: TARGETS,
    models,
    peer: o.peer ? { bin: o.peer, results: peerResults } : undefined,
    results,
    notes,
  };
  if (o.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(`\n${formatReport(report)}\n`);
}

main().catch((e) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
