/**
 * The vision benchmark's measurements, each run in its own child process (bench/vision/child.ts):
 *
 * - `crop`: the mmproj alone on a backend; one 448×448 crop (a slice of the test image) through the
 *   tower and the resampler (`VisionModel.encode`): a first (cold) call, then `reps` timed calls
 *   (median), then one call with every backend op timed (where the time goes; fc1 with its GELU
 *   counts as "mlp" on backends that fuse them).
 * - `ttft`: the LLM + mmproj pair through `openVlm`; `chat()` with the test image (a file path, so
 *   decoding it is included) and a question, one token: time from the call to the first token —
 *   image decode, preprocessing, tower + resampler for every crop, prefill of all rows (text and image).
 *   A small warm-up chat first (one 448×448 crop, tiers up the kernels), then `reps` timed chats, the
 *   image cache cleared before each.
 */
import { addInPlace, geluTanhInPlace, layerNorm } from "../../src/compute/elementwise.js";
import type { Backend, WeightMatrix } from "../../src/compute/backend.js";
import { isUserError } from "../../src/errors.js";
import { readGGUF } from "../../src/formats/gguf/reader.js";
import { loadMmproj, loadVisionModel, type VisionConfig } from "../../src/models/vision/index.js";
import { patchRows } from "../../src/models/vision/patches.js";
import { toPixelValues } from "../../src/multimodal/image/pixel-values.js";
import { preprocessImage, type PreprocessPolicy } from "../../src/multimodal/image/preprocess.js";
import { decodeImageFile } from "../../src/node/image-decode.js";
import { fileSource } from "../../src/node/file-source.js";
import { createBackend, type BackendChoice } from "../../src/node/load-llm.js";
import { openVlm } from "../../src/node/open-vlm.js";
import { median } from "../measure.js";

export const RESULT_MARK = "@@pocketvlm-vision-bench-result@@";

export interface CropRequest {
  readonly kind: "crop";
  readonly mmproj: string;
  readonly image: string;
  readonly backend: BackendChoice;
  readonly threads: number;
  readonly reps: number;
  readonly profile: boolean;
}

export interface TtftRequest {
  readonly kind: "ttft";
  readonly llm: string;
  readonly mmproj: string;
  readonly image: string;
  /** A 448×448 image for the warm-up chat. */
  readonly warmupImage: string;
  readonly prompt: string;
  readonly preprocess: PreprocessPolicy;
  readonly backend: BackendChoice;
  readonly threads: number;
  readonly reps: number;
}

export type VisionRequest = CropRequest | TtftRequest;

/** One part of a profiled crop: milliseconds, calls, and for products the arithmetic rate. */
export interface ProfilePart {
  readonly ms: number;
  readonly calls: number;
  readonly gflop?: number;
  readonly gflopPerS?: number;
}

export interface CropProfile {
  readonly totalMs: number;
  readonly patches: number;
  readonly parts: Record<string, ProfilePart>;
  /** The elementwise work inside "rest", replayed alone at the same sizes and counts (estimates). */
  readonly restReplay: Record<string, { ms: number; calls: number }>;
}

export interface CropResult {
  readonly ok: true;
  readonly kind: "crop";
  readonly backend: string;
  readonly threads: number;
  readonly loadSeconds: number;
  readonly patches: number;
  /** The first call (kernels not yet tiered up, scratch memory first touched). */
  readonly coldSeconds: number;
  readonly samples: number[];
  readonly secondsPerCrop: number;
  /** CPU seconds per wall second during the timed reps (≈ threads on a quiet machine; less = CPU taken by others). */
  readonly cpuPerWall: number;
  readonly maxRssBytes: number;
  readonly profile?: CropProfile;
}

export interface TtftResult {
  readonly ok: true;
  readonly kind: "ttft";
  readonly backend: string;
  readonly threads: number;
  readonly loadSeconds: number;
  readonly warmupSeconds: number;
  /** Time to first token per rep. */
  readonly samples: number[];
  readonly seconds: number;
  /** Of which the prompt's prefill (all rows through the LLM), per rep; the rest is image work. */
  readonly prefillSamples: number[];
  readonly prefillSeconds: number;
  /** Image work: time to first token minus prefill (decode, preprocessing, tower + resampler). */
  readonly encodeSeconds: number;
  /** Of which the tower + resampler over every crop (`VisionModel.encode`). */
  readonly towerSeconds: number;
  readonly promptRows: number;
  readonly imageRows: number;
  readonly crops: { width: number; height: number }[];
  /** CPU seconds per wall second during the timed reps. */
  readonly cpuPerWall: number;
  readonly maxRssBytes: number;
}

export interface MeasureFailure {
  readonly ok: false;
  readonly unavailable?: boolean;
  readonly error: string;
}

export type VisionResult = CropResult | TtftResult;

const log = (s: string) => process.stderr.write(`${s}\n`);
const seconds = (t0: number) => (performance.now() - t0) / 1000;

/** CPU seconds this process (all its threads) got per wall second from `start` on: ≈ threads when alone. */
function cpuMeter(): () => number {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000 / (performance.now() - t0);
  };
}

function failure(e: unknown): MeasureFailure {
  const msg = e instanceof Error ? (isUserError(e) ? e.message : e.stack ?? e.message) : String(e);
  if (isUserError(e) && e.code === "unsupported" && /WebAssembly/i.test(msg)) return { ok: false, unavailable: true, error: `wasm backend unavailable (${msg})` };
  return { ok: false, error: msg };
}

/** Which part of the encoder a matrix product belongs to, by the weight's shape. */
function matmulPart(w: WeightMatrix, c: VisionConfig): string {
  if (w.cols === 3 * c.patchSize * c.patchSize) return "patch_embed";
  if (w.rows === c.ffn || w.cols === c.ffn) return "mlp";
  if (w.rows === c.hidden && w.cols === c.hidden) return "attn_proj";
  return "resampler_matmul";
}

/** Runs `run` once with the backend's ops timed (instance methods wrapped, then restored). */
function profileOnce(backend: Backend, c: VisionConfig, patches: number, run: () => void): CropProfile {
  const be = backend as unknown as Record<string, unknown>;
  const parts: Record<string, { ms: number; calls: number; flops: number }> = {};
  const originals = new Map<string, unknown>();
  const wrap = (name: "matmul" | "matmulGelu" | "attention" | "getRows", part: (args: unknown[]) => [string, number]) => {
    const f = be[name] as ((...a: unknown[]) => unknown) | undefined;
    if (typeof f !== "function") return;
    originals.set(name, Object.prototype.hasOwnProperty.call(be, name) ? f : undefined);
    be[name] = (...args: unknown[]) => {
      const t = performance.now();
      const r = f.apply(backend, args);
      const ms = performance.now() - t;
      const [k, flops] = part(args);
      const p = (parts[k] ??= { ms: 0, calls: 0, flops: 0 });
      p.ms += ms;
      p.calls++;
      p.flops += flops;
      return r;
    };
  };
  const product = (a: unknown[]): [string, number] => {
    const w = a[0] as WeightMatrix;
    return [matmulPart(w, c), 2 * w.rows * w.cols * (a[2] as number)];
  };
  wrap("matmul", product);
  wrap("matmulGelu", product); // fc1 with its GELU (backends that fuse them)
  wrap("attention", (a) => {
    const x = a[0] as { nQ: number; nKV: number; nHeads: number; headDim: number };
    return [x.headDim === c.hidden / c.heads && x.nQ === x.nKV ? "attention" : "resampler_attention", 4 * x.nQ * x.nKV * x.nHeads * x.headDim];
  });
  wrap("getRows", () => ["position_rows", 0]);
  const t0 = performance.now();
  try {
    run();
  } finally {
    for (const [name, f] of originals) {
      if (f === undefined) delete be[name];
      else be[name] = f;
    }
  }
  const totalMs = performance.now() - t0;
  const out: Record<string, ProfilePart> = {};
  let accounted = 0;
  for (const [k, p] of Object.entries(parts)) {
    accounted += p.ms;
    out[k] = { ms: p.ms, calls: p.calls, ...(p.flops ? { gflop: p.flops / 1e9, gflopPerS: p.flops / 1e6 / p.ms } : {}) };
  }
  out.rest = { ms: totalMs - accounted, calls: 0 };
  return { totalMs, patches, parts: out, restReplay: replayRest(c, patches, typeof backend.matmulGelu === "function") };
}

/**
 * The tower's elementwise work for one crop (LayerNorms, GELU, residual adds, patch cutting), timed alone.
 * A backend with matmulGelu does the GELU inside the fc1 product ("mlp"): then it is not replayed.
 */
function replayRest(c: VisionConfig, n: number, fusedGelu: boolean): Record<string, { ms: number; calls: number }> {
  const W = c.hidden;
  const x = new Float32Array(n * W).map((_, i) => Math.sin(i));
  const ones = new Float32Array(W).fill(1);
  const zeros = new Float32Array(W);
  const out = new Float32Array(n * W);
  const up = new Float32Array(n * c.ffn).map((_, i) => Math.cos(i) * 0.1);
  const side = Math.round(Math.sqrt(n)) * c.patchSize;
  const pixels = new Float32Array(3 * side * side);
  const time = (calls: number, f: () => void) => {
    f(); // warm-up
    const t = performance.now();
    for (let i = 0; i < calls; i++) f();
    return { ms: performance.now() - t, calls };
  };
  return {
    layer_norm: time(2 * c.layers + 1, () => layerNorm(x, n, W, ones, zeros, c.eps, out)),
    ...(fusedGelu ? {} : { gelu_tanh: time(c.layers, () => geluTanhInPlace(up.fill(0.1))) }),
    residual_add: time(2 * c.layers + 1, () => addInPlace(out, x)),
    patch_rows: time(1, () => patchRows(pixels, side, side, c.patchSize)),
  };
}

async function measureCrop(req: CropRequest): Promise<CropResult | MeasureFailure> {
  const t0 = performance.now();
  const src = await fileSource(req.mmproj);
  let backend: Backend | undefined;
  try {
    const { source, config } = loadMmproj(await readGGUF(src));
    backend = await createBackend({ backend: req.backend, threads: req.threads });
    const model = await loadVisionModel(source, config, backend);
    const loadSeconds = seconds(t0);
    log(`    loaded in ${loadSeconds.toFixed(1)} s (${backend.name}, ${backend.threads ?? 1} thread(s))`);
    // a 448×448 slice of the test image, normalised as the chat path does
    const pre = preprocessImage(await decodeImageFile(req.image), { policy: "reference", scaleResolution: config.imageSize, patchSize: config.patchSize });
    const slice = pre.crops.find((k) => k.image.width === config.imageSize && k.image.height === config.imageSize) ?? pre.crops[0];
    const crop = { pixels: toPixelValues(slice.image, { mean: config.imageMean, std: config.imageStd }), width: slice.image.width, height: slice.image.height };
    const patches = (crop.width / config.patchSize) * (crop.height / config.patchSize);
    let t = performance.now();
    model.encode([crop]);
    const coldSeconds = seconds(t);
    log(`    first crop (cold) ${coldSeconds.toFixed(2)} s`);
    const samples: number[] = [];
    const cpu = cpuMeter();
    for (let r = 0; r < req.reps; r++) {
      t = performance.now();
      model.encode([crop]);
      samples.push(seconds(t));
      log(`    rep ${r + 1}/${req.reps}: ${samples[r].toFixed(2)} s per ${crop.width}x${crop.height} crop`);
    }
    const cpuPerWall = cpu();
    const profile = req.profile ? profileOnce(backend, config, patches, () => model.encode([crop])) : undefined;
    return {
      ok: true,
      kind: "crop",
      backend: backend.name,
      threads: backend.threads ?? 1,
      loadSeconds,
      patches,
      coldSeconds,
      samples,
      secondsPerCrop: median(samples),
      cpuPerWall,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      profile,
    };
  } catch (e) {
    return failure(e);
  } finally {
    await backend?.dispose();
    await src.close?.();
  }
}

async function measureTtft(req: TtftRequest): Promise<TtftResult | MeasureFailure> {
  const t0 = performance.now();
  let vlm: Awaited<ReturnType<typeof openVlm>>;
  try {
    vlm = await openVlm({ model: req.llm, mmproj: req.mmproj, backend: req.backend, threads: req.threads });
  } catch (e) {
    return failure(e);
  }
  try {
    const loadSeconds = seconds(t0);
    log(`    loaded the LLM and the mmproj in ${loadSeconds.toFixed(1)} s (${vlm.backend.name}, ${vlm.backend.threads ?? 1} thread(s))`);
    const opts = { maxTokens: 1, ignoreEos: true, preprocess: req.preprocess, style: req.preprocess === "llamacpp" ? "llamacpp" as const : "authors" as const };
    const cache = (vlm as unknown as { imageCache: Map<string, unknown> }).imageCache;
    // time the tower + resampler inside the chat (the rest of the image work is decode + preprocessing)
    const vision = vlm.vision as { encode: typeof vlm.vision.encode };
    const encode = vision.encode.bind(vlm.vision);
    let encodeMs = 0;
    vision.encode = (crops, o) => {
      const t = performance.now();
      try {
        return encode(crops, o);
      } finally {
        encodeMs += performance.now() - t;
      }
    };
    const once = async (image: string) => {
      cache.clear();
      encodeMs = 0;
      const t = performance.now();
      const it = vlm.chat([{ role: "user", content: [{ type: "image_url", image_url: { url: image } }, { type: "text", text: req.prompt }] }], opts);
      let r = await it.next();
      const first = seconds(t); // the first step (or the end, if the token ended the answer)
      while (!r.done) r = await it.next();
      return { seconds: first, result: r.value, encodeSeconds: encodeMs / 1000 };
    };
    // warm-up: one 448×448 crop through every kernel, and a short prefill
    const w = await once(req.warmupImage);
    log(`    warm-up (one crop, ${w.result.promptRows} rows): ${w.seconds.toFixed(2)} s`);
    const samples: number[] = [];
    const prefillSamples: number[] = [];
    const towerSamples: number[] = [];
    let promptRows = 0;
    const cpu = cpuMeter();
    for (let r = 0; r < req.reps; r++) {
      const m = await once(req.image);
      samples.push(m.seconds);
      prefillSamples.push(m.result.prefillMs / 1000);
      towerSamples.push(m.encodeSeconds);
      promptRows = m.result.promptRows;
      log(`    rep ${r + 1}/${req.reps}: first token after ${m.seconds.toFixed(2)} s (tower + resampler ${m.encodeSeconds.toFixed(2)} s, prefill of ${promptRows} rows ${(m.result.prefillMs / 1000).toFixed(2)} s)`);
    }
    const imgs = vlm.lastImages[0];
    const crops = imgs ? imgs.crops.map((k) => ({ width: k.image.width, height: k.image.height })) : [];
    const seconds_ = median(samples);
    const prefillSeconds = median(prefillSamples);
    return {
      ok: true,
      kind: "ttft",
      backend: vlm.backend.name,
      threads: vlm.backend.threads ?? 1,
      loadSeconds,
      warmupSeconds: w.seconds,
      samples,
      seconds: seconds_,
      prefillSamples,
      prefillSeconds,
      encodeSeconds: median(samples.map((s, i) => s - prefillSamples[i])),
      towerSeconds: median(towerSamples),
      promptRows,
      imageRows: crops.length * vlm.vision.config.queryNum,
      cpuPerWall: cpu(),
      crops,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
    };
  } catch (e) {
    return failure(e);
  } finally {
    await vlm.dispose();
  }
}

export function measureVision(req: VisionRequest): Promise<VisionResult | MeasureFailure> {
  return req.kind === "crop" ? measureCrop(req) : measureTtft(req);
}
