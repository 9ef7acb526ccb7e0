/**
 * Writes (once) and finds again the benchmark's random-weight GGUF models, with the package's own
 * streaming GGUF writer. Quantizing 3.3 B random values with the reference quantizers in JavaScript
 * would take a long time, so each tensor is assembled from rows drawn at random from a pool of
 * quantized random rows (a pool per row length). Every row is still stored separately in the file
 * and in memory, so what matters for speed (bytes read per token, block layout, scale ranges) is
 * the same as with fully random weights.
 */
import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { GGMLType, ggmlRowBytes } from "../src/formats/gguf/ggml-types.js";
import { quantize } from "../src/formats/gguf/quantize.js";
import { readGGUF } from "../src/formats/gguf/reader.js";
import { GGUFValueType as T } from "../src/formats/gguf/types.js";
import { writeGGUF, type GGUFWriteEntry, type GGUFWriteTensor } from "../src/formats/gguf/writer.js";
import { fileSink } from "../src/node/file-sink.js";
import { fileSource } from "../src/node/file-source.js";
import { BENCH_TYPES, matrices, norms, type BenchModelSpec, type BenchTypeName } from "./model-spec.js";
import { tokenizerMetadata } from "./tokenizer-meta.js";

/** Bump when the generated content changes, so cached files are rewritten. */
const GENERATOR_VERSION = 1;
const SPEC_KEY = "pocketvlm.bench.spec";
/** Quantized values per pool (per row length); rows are drawn from it at random. */
const POOL_VALUES = 4 << 20;
const CHUNK_BYTES = 8 << 20;
const WEIGHT_STD = 0.02;

/** mulberry32: a small, fast, seeded 32-bit generator. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** `n` normal(0, std) values (Box–Muller). */
function gaussian(n: number, std: number, next: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = (next() + 1) / 4294967297;
    const v = next() / 4294967296;
    const r = std * Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

interface Pool { rows: number; rowBytes: number; bytes: Uint8Array }

function makePool(type: GGMLType, cols: number, maxRows: number, seed: number): Pool {
  const rows = Math.min(maxRows, Math.max(16, Math.floor(POOL_VALUES / cols)));
  const rowBytes = ggmlRowBytes(type, cols);
  const bytes = quantize(type, gaussian(rows * cols, WEIGHT_STD, rng(seed)));
  return { rows, rowBytes, bytes };
}

/** The tensor's bytes, `rows` rows drawn from the pool, in chunks of about CHUNK_BYTES. */
async function* poolRows(pool: Pool, rows: number, seed: number): AsyncGenerator<Uint8Array> {
  const next = rng(seed);
  const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / pool.rowBytes));
  const buf = new Uint8Array(perChunk * pool.rowBytes);
  for (let r = 0; r < rows; r += perChunk) {
    const n = Math.min(perChunk, rows - r);
    for (let i = 0; i < n; i++) {
      const src = (next() % pool.rows) * pool.rowBytes;
      buf.set(pool.bytes.subarray(src, src + pool.rowBytes), i * pool.rowBytes);
    }
    yield buf.subarray(0, n * pool.rowBytes);
  }
}

function specString(spec: BenchModelSpec, typeName: BenchTypeName): string {
  return JSON.stringify({ generator: GENERATOR_VERSION, type: typeName, spec });
}

function metadata(spec: BenchModelSpec, typeName: BenchTypeName): GGUFWriteEntry[] {
  const a = "minicpm";
  return [
    { key: "general.architecture", type: T.STRING, value: a },
    { key: "general.name", type: T.STRING, value: `pocketvlm-bench ${spec.id} random ${BENCH_TYPES[typeName].label}` },
    { key: "general.file_type", type: T.UINT32, value: BENCH_TYPES[typeName].fileType },
    { key: "general.quantization_version", type: T.UINT32, value: 2 },
    { key: `${a}.context_length`, type: T.UINT32, value: spec.contextLength },
    { key: `${a}.embedding_length`, type: T.UINT32, value: spec.nEmbd },
    { key: `${a}.block_count`, type: T.UINT32, value: spec.nLayers },
    { key: `${a}.feed_forward_length`, type: T.UINT32, value: spec.nFF },
    { key: `${a}.attention.head_count`, type: T.UINT32, value: spec.nHeads },
    { key: `${a}.attention.head_count_kv`, type: T.UINT32, value: spec.nKVHeads },
    { key: `${a}.attention.key_length`, type: T.UINT32, value: spec.headDim },
    { key: `${a}.attention.value_length`, type: T.UINT32, value: spec.headDim },
    { key: `${a}.rope.dimension_count`, type: T.UINT32, value: spec.headDim },
    { key: `${a}.rope.freq_base`, type: T.FLOAT32, value: spec.ropeBase },
    { key: `${a}.attention.layer_norm_rms_epsilon`, type: T.FLOAT32, value: spec.rmsEps },
    { key: `${a}.embedding_scale`, type: T.FLOAT32, value: spec.embeddingScale },
    { key: `${a}.residual_scale`, type: T.FLOAT32, value: spec.residualScale },
    { key: `${a}.logit_scale`, type: T.FLOAT32, value: spec.logitScale },
    { key: SPEC_KEY, type: T.STRING, value: specString(spec, typeName) },
    ...tokenizerMetadata(spec.nVocab),
  ];
}

export function modelPath(cacheDir: string, spec: BenchModelSpec, typeName: BenchTypeName): string {
  return join(cacheDir, `${spec.id}-random-${typeName}.gguf`);
}

/** True when `path` is a complete file written by this generator for `spec` and type. */
async function isValidCached(path: string, spec: BenchModelSpec, typeName: BenchTypeName): Promise<boolean> {
  try {
    await stat(path);
  } catch {
    return false;
  }
  const src = await fileSource(path);
  try {
    const g = await readGGUF(src);
    const e = g.metadata.get(SPEC_KEY);
    if (!e || e.value !== specString(spec, typeName)) return false;
    const want = matrices(spec).length + norms(spec).length;
    if (g.tensors.length !== want) return false;
    const end = Math.max(...g.tensors.map((t) => t.offset + Math.ceil(t.byteLength / g.alignment) * g.alignment));
    return end === src.size;
  } catch {
    return false;
  } finally {
    await src.close?.();
  }
}

export interface SyntheticModel {
  readonly path: string;
  readonly bytes: number;
  /** True when an existing cached file was reused. */
  readonly reused: boolean;
  readonly seconds: number;
}

/**
 * Returns the cached model file for (spec, type), writing it first if missing or stale. The file
 * appears under its name only when complete (`fileSink` writes `.partial`, then renames).
 */
export async function ensureSyntheticModel(
  cacheDir: string, spec: BenchModelSpec, typeName: BenchTypeName, log: (line: string) => void = () => {},
): Promise<SyntheticModel> {
  const path = modelPath(cacheDir, spec, typeName);
  const t0 = performance.now();
  if (await isValidCached(path, spec, typeName)) {
    return { path, bytes: (await stat(path)).size, reused: true, seconds: (performance.now() - t0) / 1000 };
  }
  await mkdir(cacheDir, { recursive: true });
  const type = BENCH_TYPES[typeName].type;
  const label = BENCH_TYPES[typeName].label;

  const mats = matrices(spec);
  const pools = new Map<number, Pool>();
  const pool = (cols: number): Pool => {
    let p = pools.get(cols);
    if (!p) {
      const tq = performance.now();
      const maxRows = Math.max(...mats.filter((m) => m.cols === cols).map((m) => m.rows));
      p = makePool(type, cols, maxRows, hash(`${typeName}/${cols}`));
      pools.set(cols, p);
      log(`  ${label}: quantized a pool of ${p.rows} random rows of ${cols} in ${((performance.now() - tq) / 1000).toFixed(1)} s`);
    }
    return p;
  };

  const total = mats.reduce((a, m) => a + ggmlRowBytes(type, m.cols) * m.rows, 0);
  let done = 0;
  let shown = -1;
  const progress = (n: number) => {
    done += n;
    const pct = Math.floor((done / total) * 100);
    if (pct >= shown + 5 || done === total) {
      shown = pct;
      log(`  writing ${path}: ${pct}% (${(done / 1e9).toFixed(2)} / ${(total / 1e9).toFixed(2)} GB)`);
    }
  };

  const ones = new Float32Array(spec.nEmbd).fill(1);
  const normBytes = new Uint8Array(ones.buffer);
  const tensors: GGUFWriteTensor[] = [];
  for (const m of mats) {
    tensors.push({
      name: m.name,
      dims: [m.cols, m.rows],
      type,
      data: async () => {
        const p = pool(m.cols);
        const seed = hash(`${typeName}/${m.name}`);
        return (async function* () {
          for await (const chunk of poolRows(p, m.rows, seed)) {
            yield chunk;
            progress(chunk.byteLength);
          }
        })();
      },
    });
  }
  for (const name of norms(spec)) tensors.push({ name, dims: [spec.nEmbd], type: GGMLType.F32, data: normBytes });

  const bytes = await writeGGUF(await fileSink(path), { metadata: metadata(spec, typeName), tensors });
  return { path, bytes, reused: false, seconds: (performance.now() - t0) / 1000 };
}
