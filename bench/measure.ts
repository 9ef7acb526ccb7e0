/**
 * One measurement, run in its own child process (so peak RSS belongs to one model and one thread
 * count): load the model, warm up, then `reps` × (prefill of `prompt` random tokens in one forward
 * call with logits for the last row only; decode of `gen` tokens one per forward call from an empty
 * cache, as llama-bench's pp/tg tests do), then a short profiled decode (where one token's time goes).
 *
 * Run by bench/measure-child.ts; the result travels back as one stdout line `RESULT_MARK + JSON`.
 */
import type { WeightMatrix } from "../src/compute/backend.js";
import { isUserError } from "../src/errors.js";
import { ggmlRowBytes } from "../src/formats/gguf/ggml-types.js";
import { openLanguageModel, type BackendChoice, type OpenedLanguageModel } from "../src/node/load-llm.js";
import { rng } from "./synth-model.js";

export const RESULT_MARK = "@@pocketvlm-bench-result@@";

export interface MeasureRequest {
  readonly path: string;
  readonly backend: BackendChoice;
  readonly threads: number;
  readonly prompt: number;
  readonly gen: number;
  readonly reps: number;
  /** Tokens of the warm-up prefill (plus a few decode steps), not timed. */
  readonly warmupPrompt: number;
  /** Decode steps timed op by op after the measurement, followed by one profiled prefill (0 = no profiles). */
  readonly profileSteps: number;
  readonly seed: number;
}

/**
 * Where the time of a forward call goes: milliseconds per call in each part; for matrix products
 * also the weight bytes read (GB/s) and the arithmetic done (GFLOP/s, 2·rows·cols per row of input).
 */
export interface OpProfile {
  /** Forward calls averaged over. */
  readonly runs: number;
  /** Rows (tokens) per forward call. */
  readonly tokens: number;
  readonly totalMs: number;
  readonly parts: Record<string, { ms: number; calls: number; gbPerS?: number; gflopPerS?: number }>;
}

export interface MeasureResult {
  readonly ok: true;
  readonly backend: string;
  readonly threads: number;
  readonly loadSeconds: number;
  readonly prefillSeconds: number[];
  readonly decodeSeconds: number[];
  readonly prefillTokPerS: number;
  readonly decodeTokPerS: number;
  readonly maxRssBytes: number;
  readonly rssAfterLoadBytes: number;
  /** One decode step (averaged over `profileSteps` steps). */
  readonly decodeProfile?: OpProfile;
  /** One prefill of `prompt` tokens. */
  readonly prefillProfile?: OpProfile;
  /** CPU seconds (user + system, all threads) of the measurement process. */
  readonly cpuSeconds: number;
  /** Set by the parent: share of all cores other processes used meanwhile (Linux). */
  readonly otherCpu?: number;
}

export interface MeasureFailure {
  readonly ok: false;
  /** True when the WebAssembly backend is not in this build. */
  readonly unavailable?: boolean;
  readonly error: string;
  readonly otherCpu?: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const log = (s: string) => process.stderr.write(`${s}\n`);

function randomIds(n: number, nVocab: number, next: () => number): number[] {
  return Array.from({ length: n }, () => next() % nVocab);
}

/** Classifies a matrix product by the weight's shape: lm_head, FFN, or attention projections. */
function matmulPart(w: WeightMatrix, nVocab: number, nFF: number): string {
  if (w.rows === nVocab) return "matmul.lm_head";
  if (w.rows === nFF || w.cols === nFF) return "matmul.ffn";
  return "matmul.attn_proj";
}

const REST = "rest (norms, RoPE, residuals, JS glue; SiLU unless the backend fuses it into matmul.ffn)";

/** Runs `run` `runs` times with the backend's ops timed (the instance methods are wrapped, then restored). */
function profileOps(model: OpenedLanguageModel, runs: number, tokens: number, run: () => void): OpProfile {
  const be = model.backend as unknown as Record<string, unknown>;
  const { nVocab, nFF } = model.config;
  const parts: Record<string, { ms: number; calls: number; bytes: number; flops: number }> = {};
  const originals = new Map<string, unknown>();
  const wrap = (name: "matmul" | "swiglu" | "attention" | "getRows", part: (args: unknown[]) => [string, number, number]) => {
    const f = be[name] as (...a: unknown[]) => unknown;
    originals.set(name, Object.prototype.hasOwnProperty.call(be, name) ? f : undefined);
    be[name] = (...args: unknown[]) => {
      const t = performance.now();
      const r = f.apply(model.backend, args);
      const ms = performance.now() - t;
      const [k, bytes, flops] = part(args);
      const p = (parts[k] ??= { ms: 0, calls: 0, bytes: 0, flops: 0 });
      p.ms += ms;
      p.calls++;
      p.bytes += bytes;
      p.flops += flops;
      return r;
    };
  };
  wrap("matmul", (a) => {
    const w = a[0] as WeightMatrix;
    const n = a[2] as number;
    return [matmulPart(w, nVocab, nFF), ggmlRowBytes(w.type, w.cols) * w.rows, 2 * w.rows * w.cols * n];
  });
  // a fused feed-forward block (the backend's swiglu) counts as its three products, SiLU included
  if (typeof be.swiglu === "function") {
    wrap("swiglu", (a) => {
      const ws = a.slice(0, 3) as WeightMatrix[];
      const n = a[4] as number;
      return ["matmul.ffn", ws.reduce((s, w) => s + ggmlRowBytes(w.type, w.cols) * w.rows, 0), ws.reduce((s, w) => s + 2 * w.rows * w.cols * n, 0)];
    });
  }
  wrap("attention", () => ["attention", 0, 0]);
  wrap("getRows", () => ["embedding", 0, 0]);
  let total = 0;
  try {
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      run();
      total += performance.now() - t;
    }
  } finally {
    for (const [name, f] of originals) {
      if (f === undefined) delete be[name];
      else be[name] = f;
    }
  }
  const out: OpProfile["parts"] = {};
  let accounted = 0;
  for (const [k, p] of Object.entries(parts)) {
    accounted += p.ms;
    const sec = p.ms / 1000;
    out[k] = {
      ms: p.ms / runs,
      calls: p.calls / runs,
      ...(p.bytes ? { gbPerS: p.bytes / sec / 1e9, gflopPerS: p.flops / sec / 1e9 } : {}),
    };
  }
  out[REST] = { ms: (total - accounted) / runs, calls: 0 };
  return { runs, tokens, totalMs: total / runs, parts: out };
}

export async function measure(req: MeasureRequest): Promise<MeasureResult | MeasureFailure> {
  const next = rng(req.seed);
  const t0 = performance.now();
  let model: OpenedLanguageModel;
  try {
    model = await openLanguageModel(req.path, { backend: req.backend, threads: req.threads });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (isUserError(e) && e.code === "unsupported" && /WebAssembly/i.test(msg)) {
      return { ok: false, unavailable: true, error: `wasm backend unavailable (${msg})` };
    }
    return { ok: false, error: msg };
  }
  try {
    const loadSeconds = (performance.now() - t0) / 1000;
    const rssAfterLoadBytes = process.memoryUsage.rss();
    const { nVocab } = model.config;
    log(`    loaded in ${loadSeconds.toFixed(1)} s (${model.backend.name}, ${model.backend.threads} thread(s)); warming up`);

    // warm-up: JIT tiers, worker start-up, first-touch of scratch memory
    model.forward({ kind: "tokens", ids: randomIds(Math.min(req.warmupPrompt, req.prompt), nVocab, next) }, model.newCache(), { logits: "last" });
    const wc = model.newCache();
    for (let i = 0; i < 4; i++) model.forward({ kind: "tokens", ids: [next() % nVocab] }, wc, { logits: "last" });

    const prefillSeconds: number[] = [];
    const decodeSeconds: number[] = [];
    for (let r = 0; r < req.reps; r++) {
      const ids = randomIds(req.prompt, nVocab, next);
      let t = performance.now();
      model.forward({ kind: "tokens", ids }, model.newCache(), { logits: "last" });
      prefillSeconds.push((performance.now() - t) / 1000);

      const cache = model.newCache();
      const gen = randomIds(req.gen, nVocab, next);
      t = performance.now();
      for (const id of gen) model.forward({ kind: "tokens", ids: [id] }, cache, { logits: "last" });
      decodeSeconds.push((performance.now() - t) / 1000);
      log(`    rep ${r + 1}/${req.reps}: prefill ${(req.prompt / prefillSeconds[r]).toFixed(2)} tok/s, decode ${(req.gen / decodeSeconds[r]).toFixed(2)} tok/s`);
    }
    let decodeProfile: OpProfile | undefined;
    let prefillProfile: OpProfile | undefined;
    if (req.profileSteps > 0) {
      log(`    profiling ${req.profileSteps} decode steps and one prefill`);
      const cache = model.newCache();
      decodeProfile = profileOps(model, req.profileSteps, 1, () => {
        model.forward({ kind: "tokens", ids: [next() % nVocab] }, cache, { logits: "last" });
      });
      const ids = randomIds(req.prompt, nVocab, next);
      prefillProfile = profileOps(model, 1, req.prompt, () => {
        model.forward({ kind: "tokens", ids }, model.newCache(), { logits: "last" });
      });
    }
    return {
      ok: true,
      backend: model.backend.name,
      threads: model.backend.threads,
      loadSeconds,
      prefillSeconds,
      decodeSeconds,
      prefillTokPerS: req.prompt / median(prefillSeconds),
      decodeTokPerS: req.gen / median(decodeSeconds),
      // resourceUsage().maxRSS is in kilobytes
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      cpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
      rssAfterLoadBytes,
      decodeProfile,
      prefillProfile,
    };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? (isUserError(e) ? e.message : e.stack ?? e.message) : String(e) };
  } finally {
    await model.dispose();
  }
}
