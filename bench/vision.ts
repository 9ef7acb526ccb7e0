/**
 * `npm run bench:vision`: the vision benchmark.
 *
 * Writes (once, into .cache/bench/) random-weight real-size MiniCPM-V 4.0 vision projectors (SigLIP-
 * so400m/14 NaViT + resampler, llama.cpp's mmproj layout) in F16 and Q8_0 with the package's own GGUF
 * writer; measures, each in its own child process: seconds per 448×448 crop (tower + resampler) per
 * (type, threads), and the time to first token for a 1344×896 image with the V4.0-size LLM (the LLM
 * benchmark's Q4_0 model, with MiniCPM-V's image tokens added to its vocabulary); optionally runs
 * llama.cpp's llama-mtmd-cli on the same files and image and prints ratios.
 * Run `npm run bench:vision -- --help` for the options.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { median } from "./measure.js";
import { MINICPMV_4_0, TINY, parameterCount, type BenchModelSpec } from "./model-spec.js";
import { ensureTestImage } from "./vision/image.js";
import { RESULT_MARK, type CropResult, type MeasureFailure, type TtftResult, type VisionRequest, type VisionResult } from "./vision/measure.js";
import { runMtmd, type PeerRun } from "./vision/peer.js";
import { formatReport, TARGETS, type CropRow, type FileInfo, type TtftRow, type VisionBenchReport } from "./vision/report.js";
import { cropFlops, isMmprojType, MMPROJ_TINY, MMPROJ_TYPES, MMPROJ_V4_0, type MmprojSpec, type MmprojTypeName } from "./vision/spec.js";
import { ensureVlmLlm } from "./vision/synth-llm.js";
import { ensureSyntheticMmproj } from "./vision/synth-mmproj.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const USAGE = `usage: npm run bench:vision -- [options]

  --types LIST           mmproj types, from f16,q8_0 (default: both)
  --threads LIST         thread counts of the crop measurement (default: 1,2)
  --ttft-threads N       threads of the time-to-first-token measurement (default: the largest of --threads)
  --reps N               timed repetitions; medians are reported (default: 3)
  --small                toy tower and LLM of the same structure (smoke tests)
  --no-ttft              crop timings only (no LLM)
  --no-profile           no op-level profile of a crop
  --preprocess P         reference | llamacpp: our crop policy in the chat (default: reference)
  --prompt TEXT          the question asked about the image
  --backend B            wasm | js | auto (default: wasm)
  --llama-mtmd-cli PATH  llama.cpp's llama-mtmd-cli, run on the same files (default: env LLAMA_MTMD_CLI)
  --no-peer              ignore LLAMA_MTMD_CLI
  --peer-env K=V         environment variable for llama-mtmd-cli only (repeatable)
  --peer-reps N          llama-mtmd-cli runs at the time-to-first-token thread count (default: --reps);
                         one run at other thread counts (each run encodes every crop of the image)
  --cache-dir DIR        where the files are written (default: .cache/bench)
  --wait-load X          before measuring, wait until the 1-minute load average is below X
  --generate-only        write the files and stop
  --json                 print exactly one JSON object on stdout (progress goes to stderr)
`;

const DEFAULT_PROMPT = "What is in this image? Describe it in detail.";
const IMAGE_W = 1344;
const IMAGE_H = 896;

const log = (s: string) => process.stderr.write(`${s}\n`);

function fail(msg: string): never {
  process.stderr.write(`bench:vision: ${msg}\n`);
  process.exit(2);
}

function positiveInt(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} ${v} should be a positive integer`);
  return n;
}

interface Options {
  small: boolean;
  mmproj: MmprojSpec;
  llm: BenchModelSpec;
  types: MmprojTypeName[];
  threads: number[];
  ttftThreads: number;
  reps: number;
  ttft: boolean;
  profile: boolean;
  preprocess: "reference" | "llamacpp";
  prompt: string;
  backend: "wasm" | "js" | "auto";
  peer?: string;
  peerEnv: Record<string, string>;
  peerReps: number;
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
        "ttft-threads": { type: "string" },
        reps: { type: "string" },
        small: { type: "boolean" },
        "no-ttft": { type: "boolean" },
        "no-profile": { type: "boolean" },
        preprocess: { type: "string" },
        prompt: { type: "string" },
        backend: { type: "string" },
        "llama-mtmd-cli": { type: "string" },
        "no-peer": { type: "boolean" },
        "peer-env": { type: "string", multiple: true },
        "peer-reps": { type: "string" },
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
  const types = (a.types ?? "f16,q8_0").split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
  for (const t of types) if (!isMmprojType(t)) fail(`unknown mmproj type "${t}" (f16, q8_0)`);
  if (types.length === 0) fail("--types is empty");
  const threads = [...new Set((a.threads ?? "1,2").split(",").map((s) => positiveInt("threads", s.trim(), 1)))];
  const backend = (a.backend ?? "wasm") as Options["backend"];
  if (!["wasm", "js", "auto"].includes(backend)) fail(`--backend ${backend} should be wasm, js or auto`);
  const preprocess = (a.preprocess ?? "reference") as Options["preprocess"];
  if (!["reference", "llamacpp"].includes(preprocess)) fail(`--preprocess ${preprocess} should be reference or llamacpp`);
  const peerEnv: Record<string, string> = {};
  for (const kv of a["peer-env"] ?? []) {
    const i = kv.indexOf("=");
    if (i <= 0) fail(`--peer-env ${kv} should be KEY=VALUE`);
    peerEnv[kv.slice(0, i)] = kv.slice(i + 1);
  }
  const waitLoad = a["wait-load"] === undefined ? undefined : Number(a["wait-load"]);
  if (waitLoad !== undefined && !(waitLoad > 0)) fail(`--wait-load ${a["wait-load"]} should be a positive number`);
  const reps = positiveInt("reps", a.reps, 3);
  const small = Boolean(a.small);
  return {
    small,
    mmproj: small ? MMPROJ_TINY : MMPROJ_V4_0,
    llm: small ? TINY : MINICPMV_4_0,
    types: types as MmprojTypeName[],
    threads,
    ttftThreads: positiveInt("ttft-threads", a["ttft-threads"], Math.max(...threads)),
    reps,
    ttft: !a["no-ttft"],
    profile: !a["no-profile"],
    preprocess,
    prompt: a.prompt ?? DEFAULT_PROMPT,
    backend,
    peer: a["no-peer"] ? undefined : a["llama-mtmd-cli"] ?? (process.env.LLAMA_MTMD_CLI || undefined),
    peerEnv,
    peerReps: positiveInt("peer-reps", a["peer-reps"], reps),
    cacheDir: resolve(a["cache-dir"] ?? join(ROOT, ".cache", "bench")),
    waitLoad,
    generateOnly: Boolean(a["generate-only"]),
    json: Boolean(a.json),
  };
}

/** Processes running for us, ended with us (SIGINT / SIGTERM). */
const running = new Set<ChildProcess>();
const track = (c: ChildProcess, on: boolean) => { if (on) running.add(c); else running.delete(c); };
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    for (const c of running) c.kill("SIGKILL");
    process.exit(130);
  });
}

/** Runs one measurement in a child process; its stdout (except the result line) goes to our stderr. */
function measureInChild(req: VisionRequest): Promise<VisionResult | MeasureFailure> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "bench", "vision", "child.ts"), JSON.stringify(req)], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    track(child, true);
    let result: VisionResult | MeasureFailure | undefined;
    let buf = "";
    const onLine = (line: string) => {
      if (line.startsWith(RESULT_MARK)) {
        try {
          result = JSON.parse(line.slice(RESULT_MARK.length)) as VisionResult | MeasureFailure;
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
    child.on("error", (e) => { track(child, false); done({ ok: false, error: `cannot start the measurement process: ${e.message}` }); });
    child.on("close", (code, signal) => {
      track(child, false);
      if (buf) onLine(buf);
      done(result ?? { ok: false, error: `the measurement process ended (${signal ?? `exit code ${code}`}) without a result` });
    });
  });
}

function medianOf(xs: (number | undefined)[]): number | undefined {
  const v = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return v.length ? median(v) : undefined;
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
  const loadAvgStart = loadavg();
  const notes: string[] = [];
  const files: FileInfo[] = [];
  const fileInfo = (role: string, type: string, m: { path: string; bytes: number; reused: boolean; seconds: number }) => {
    log(`  ${m.reused ? "reusing" : "wrote"} ${m.path} (${(m.bytes / 1e9).toFixed(2)} GB${m.reused ? "" : ` in ${m.seconds.toFixed(0)} s`})`);
    files.push({ role, type, path: m.path, bytes: m.bytes, reused: m.reused, seconds: m.seconds });
  };

  // 1. files: mmproj per type, the LLM (Q4_0 of the LLM benchmark + image tokens), the images
  const mmprojs = new Map<MmprojTypeName, string>();
  for (const t of o.types) {
    log(`mmproj ${o.mmproj.id} ${MMPROJ_TYPES[t].label}:`);
    const m = await ensureSyntheticMmproj(o.cacheDir, o.mmproj, t, log);
    fileInfo("mmproj", t, m);
    mmprojs.set(t, m.path);
  }
  let llmPath: string | undefined;
  if (o.ttft) {
    log(`LLM ${o.llm.id} Q4_0 (the LLM benchmark's, with MiniCPM-V's image tokens):`);
    const m = await ensureVlmLlm(o.cacheDir, o.llm, "q4_0", log);
    fileInfo("llm", "q4_0", m);
    llmPath = m.path;
  }
  const image = await ensureTestImage(o.cacheDir, IMAGE_W, IMAGE_H);
  const warmupImage = await ensureTestImage(o.cacheDir, 448, 448);
  if (o.generateOnly) {
    if (o.json) process.stdout.write(`${JSON.stringify({ files, image, warmupImage })}\n`);
    return;
  }

  // 2. measurements: per type, ours (crop per thread count, then the chat), then llama-mtmd-cli
  if (o.waitLoad !== undefined) await waitForLoad(o.waitLoad);
  const crops: CropRow[] = [];
  const ttft: TtftRow[] = [];
  const peerRuns: (PeerRun & { type: string })[] = [];
  let unavailable: string | undefined;
  for (const t of o.types) {
    const mmproj = mmprojs.get(t)!;
    const ours = new Map<number, CropResult | MeasureFailure>();
    for (const threads of o.threads) {
      if (unavailable) { ours.set(threads, { ok: false, unavailable: true, error: unavailable }); continue; }
      log(`crop encoding, ${MMPROJ_TYPES[t].label}, ${threads} thread(s), backend ${o.backend}:`);
      const r = await measureInChild({ kind: "crop", mmproj, image, backend: o.backend, threads, reps: o.reps, profile: o.profile });
      if (!r.ok) {
        log(`  ${r.error}`);
        if (r.unavailable) unavailable = r.error;
        ours.set(threads, r);
      } else {
        ours.set(threads, r as CropResult);
        log(`  ${(r as CropResult).secondsPerCrop.toFixed(2)} s per crop`);
      }
    }
    let oursTtft: TtftResult | MeasureFailure | undefined;
    if (o.ttft && llmPath) {
      if (unavailable) oursTtft = { ok: false, unavailable: true, error: unavailable };
      else {
        log(`time to first token, ${MMPROJ_TYPES[t].label} mmproj + Q4_0 LLM, ${o.ttftThreads} thread(s):`);
        const r = await measureInChild({
          kind: "ttft", llm: llmPath, mmproj, image, warmupImage, prompt: o.prompt, preprocess: o.preprocess,
          backend: o.backend, threads: o.ttftThreads, reps: o.reps,
        });
        oursTtft = r as TtftResult | MeasureFailure;
        log(r.ok ? `  ${(r as TtftResult).seconds.toFixed(2)} s to the first token` : `  ${r.error}`);
      }
    }

    // the peer: every run encodes the whole test image and answers with one token
    const peerByThreads = new Map<number, PeerRun[]>();
    if (o.peer && llmPath) {
      const threadSet = [...new Set([...o.threads, ...(o.ttft ? [o.ttftThreads] : [])])];
      for (const threads of threadSet) {
        const runs = o.ttft && threads === o.ttftThreads ? o.peerReps : 1;
        const list: PeerRun[] = [];
        for (let i = 0; i < runs; i++) {
          log(`llama-mtmd-cli, ${MMPROJ_TYPES[t].label}, ${threads} thread(s), run ${i + 1}/${runs}:`);
          const run = await runMtmd({ bin: o.peer, llm: llmPath, mmproj, image, prompt: o.prompt, threads, env: o.peerEnv, log, timeoutMs: 3_600_000, track });
          list.push(run);
          peerRuns.push({ ...run, type: t });
          if (!run.ok) { log(`  ${run.error}`); break; }
          log(`  crops ${run.cropMs.map((x) => (x / 1000).toFixed(1)).join(", ")} s; first token after ${run.ttftSeconds?.toFixed(2) ?? "?"} s`);
        }
        peerByThreads.set(threads, list);
      }
    } else if (o.peer && !llmPath) {
      notes.push("the peer needs the LLM: with --no-ttft llama-mtmd-cli is not run");
    }

    for (const threads of o.threads) {
      const r = ours.get(threads)!;
      const runs = peerByThreads.get(threads);
      let peer: CropRow["peer"];
      if (runs) {
        const good = runs.filter((x) => x.ok);
        const samples = good.flatMap((x) => x.sliceMs.map((ms) => ms / 1000));
        const overviews = good.filter((x) => x.cropMs.length > 1).map((x) => x.cropMs[0] / 1000);
        peer = {
          runs: runs.length, samples,
          secondsPerCrop: samples.length ? median(samples) : undefined,
          overviewSeconds: overviews.length ? median(overviews) : undefined,
          cpuPerWall: medianOf(good.map((x) => x.cpuPerWall)),
          error: runs.find((x) => !x.ok)?.error,
        };
      }
      const speedup = r.ok && peer?.secondsPerCrop !== undefined ? peer.secondsPerCrop / (r as CropResult).secondsPerCrop : undefined;
      crops.push({ type: t, threads, ours: r, peer, speedup, meetsTarget: speedup === undefined ? undefined : speedup >= TARGETS.cropSpeedup });
    }
    if (oursTtft) {
      const runs = peerByThreads.get(o.ttftThreads);
      let peer: TtftRow["peer"];
      if (runs) {
        const good = runs.filter((x) => x.ok && x.ttftSeconds !== undefined);
        peer = {
          runs: runs.length,
          samples: good.map((x) => x.ttftSeconds!),
          seconds: good.length ? median(good.map((x) => x.ttftSeconds!)) : undefined,
          encodeSeconds: good.length ? median(good.map((x) => x.encodeSeconds)) : undefined,
          cpuPerWall: medianOf(good.map((x) => x.cpuPerWall)),
          error: runs.find((x) => !x.ok || x.ttftSeconds === undefined)?.error,
        };
      }
      const ratio = oursTtft.ok && peer?.seconds !== undefined ? (oursTtft as TtftResult).seconds / peer.seconds : undefined;
      ttft.push({ type: t, threads: o.ttftThreads, ours: oursTtft, peer, ratio, meetsTarget: ratio === undefined ? undefined : ratio <= TARGETS.ttftRatio });
    }
  }

  if (unavailable) notes.push(`no numbers of ours: ${unavailable}`);
  notes.push("crop time: one 448×448 slice of the test image through VisionModel.encode (tower + resampler), after a first cold call; llama.cpp's: its per-slice encoding times of the 448×448 slices of the test image");
  if (o.ttft) {
    notes.push(`time to first token: ours from chat() with the image file and the question to the first token (${o.preprocess} crops), after a one-crop warm-up chat, image cache cleared per rep; llama.cpp's from the moment it takes the message (after loading) to its first output (prompt evaluated, image rows included); model loading excluded on both sides`);
    notes.push("the LLM is the LLM benchmark's random Q4_0 model with MiniCPM-V's <image>, </image>, <slice>, </slice> (and ChatML) tokens in its vocabulary and a ChatML template: llama.cpp's mtmd cannot lay out a MiniCPM-V image without those tokens");
  }
  if (o.types.includes("q8_0")) notes.push("Q8_0 mmproj as convert_hf_to_gguf.py writes one: matrices Q8_0 except SigLIP's fc2 (4304-wide rows, not a multiple of 32: F16 fallback), patch kernel and position table F32");

  const m = o.mmproj;
  const gflop = Object.fromEntries(Object.entries(cropFlops(m, (m.imageSize / m.patchSize) ** 2)).map(([k, v]) => [k, v / 1e9]));
  const report: VisionBenchReport = {
    benchmark: "pocketvlm vision",
    date: new Date().toISOString(),
    machine: { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, memoryBytes: totalmem(), node: process.version, loadAvgStart, loadAvgEnd: loadavg() },
    settings: {
      config: o.small ? "small" : "full",
      mmproj: { ...m },
      llm: o.ttft ? { id: o.llm.id, type: "q4_0", n_embd: o.llm.nEmbd, n_layer: o.llm.nLayers, parameters: parameterCount(o.llm) } : undefined,
      image: { path: image, width: IMAGE_W, height: IMAGE_H },
      prompt: o.prompt,
      preprocess: o.preprocess,
      backend: o.backend,
      types: o.types,
      threads: o.threads,
      ttftThreads: o.ttft ? o.ttftThreads : undefined,
      reps: o.reps,
      cropGflop: gflop,
    },
    targets: TARGETS,
    files,
    peer: o.peer ? { bin: o.peer, env: o.peerEnv, runs: peerRuns } : undefined,
    crops,
    ttft,
    notes,
  };
  if (o.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(`\n${formatReport(report)}\n`);
}

main().catch((e) => {
  process.stderr.write(`bench:vision: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
