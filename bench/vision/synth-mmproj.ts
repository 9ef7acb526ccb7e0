/**
 * Writes (once) and finds again the vision benchmark's random-weight mmproj GGUFs, with the package's
 * own streaming GGUF writer, in `.cache/bench/`. Like the LLM benchmark's models, each matrix is
 * assembled from rows drawn at random from a pool of random rows (one pool per row length and type),
 * so writing ~0.9 GB takes seconds; every row is still stored separately, so bytes and block layouts
 * are those of a real file. A file is reused when its `pocketvlm.bench.spec` metadata matches and its
 * size is complete; it is written as `.partial` and renamed when complete (`fileSink`).
 */
import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { GGMLType, ggmlRowBytes } from "../../src/formats/gguf/ggml-types.js";
import { quantize } from "../../src/formats/gguf/quantize.js";
import { readGGUF } from "../../src/formats/gguf/reader.js";
import { GGUFValueType as T } from "../../src/formats/gguf/types.js";
import { writeGGUF, type GGUFWriteEntry, type GGUFWriteTensor } from "../../src/formats/gguf/writer.js";
import { SinCos2d } from "../../src/models/vision/sincos.js";
import { fileSink } from "../../src/node/file-sink.js";
import { fileSource } from "../../src/node/file-source.js";
import { rng } from "../synth-model.js";
import { MMPROJ_TYPES, mmprojTensors, tensorBytes, type MmprojSpec, type MmprojTensor, type MmprojTypeName } from "./spec.js";

/** Bump when the generated content changes, so cached files are rewritten. */
const GENERATOR_VERSION = 1;
export const SPEC_KEY = "pocketvlm.bench.spec";
const POOL_VALUES = 2 << 20;
const CHUNK_BYTES = 8 << 20;
const WEIGHT_STD = 0.02;

function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

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
  return { rows, rowBytes: ggmlRowBytes(type, cols), bytes: quantize(type, gaussian(rows * cols, WEIGHT_STD, rng(seed))) };
}

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

function specString(spec: MmprojSpec, typeName: MmprojTypeName): string {
  return JSON.stringify({ generator: GENERATOR_VERSION, kind: "mmproj", type: typeName, spec });
}

/** The fixture's keys, with the same value types, then the benchmark's spec key. */
function metadata(s: MmprojSpec, typeName: MmprojTypeName): GGUFWriteEntry[] {
  const half = { itemType: T.FLOAT32, items: [0.5, 0.5, 0.5] };
  return [
    { key: "general.architecture", type: T.STRING, value: "clip" },
    { key: "clip.has_text_encoder", type: T.BOOL, value: false },
    { key: "clip.has_vision_encoder", type: T.BOOL, value: true },
    { key: "clip.has_minicpmv_projector", type: T.BOOL, value: true },
    { key: "general.file_type", type: T.UINT32, value: MMPROJ_TYPES[typeName].fileType },
    { key: "general.name", type: T.STRING, value: `pocketvlm-bench ${s.id} random ${MMPROJ_TYPES[typeName].label}` },
    { key: "general.description", type: T.STRING, value: "image encoder for MiniCPM-V" },
    { key: "clip.projector_type", type: T.STRING, value: "resampler" },
    { key: "clip.minicpmv_version", type: T.INT32, value: s.version },
    { key: "clip.vision.image_size", type: T.UINT32, value: s.imageSize },
    { key: "clip.vision.patch_size", type: T.UINT32, value: s.patchSize },
    { key: "clip.vision.embedding_length", type: T.UINT32, value: s.hidden },
    { key: "clip.vision.feed_forward_length", type: T.UINT32, value: s.ffn },
    { key: "clip.vision.projection_dim", type: T.UINT32, value: 0 },
    { key: "clip.vision.attention.head_count", type: T.UINT32, value: s.heads },
    { key: "clip.vision.attention.layer_norm_epsilon", type: T.FLOAT32, value: s.eps },
    { key: "clip.vision.block_count", type: T.UINT32, value: s.layers },
    { key: "clip.minicpmv_query_num", type: T.UINT32, value: s.queries },
    { key: "clip.vision.image_mean", type: T.ARRAY, value: half },
    { key: "clip.vision.image_std", type: T.ARRAY, value: half },
    { key: "clip.use_gelu", type: T.BOOL, value: true },
    { key: SPEC_KEY, type: T.STRING, value: specString(s, typeName) },
  ];
}

export function mmprojPath(cacheDir: string, spec: MmprojSpec, typeName: MmprojTypeName): string {
  return join(cacheDir, `mmproj-${spec.id}-random-${typeName}.gguf`);
}

async function isValidCached(path: string, spec: MmprojSpec, typeName: MmprojTypeName): Promise<boolean> {
  try {
    await stat(path);
  } catch {
    return false;
  }
  const src = await fileSource(path);
  try {
    const g = await readGGUF(src);
    if (g.metadata.get(SPEC_KEY)?.value !== specString(spec, typeName)) return false;
    if (g.tensors.length !== mmprojTensors(spec, typeName).length) return false;
    const end = Math.max(...g.tensors.map((t) => t.offset + Math.ceil(t.byteLength / g.alignment) * g.alignment));
    return end === src.size;
  } catch {
    return false;
  } finally {
    await src.close?.();
  }
}

export interface SyntheticFile {
  readonly path: string;
  readonly bytes: number;
  readonly reused: boolean;
  readonly seconds: number;
}

/** Returns the cached mmproj for (spec, type), writing it first if missing or stale. */
export async function ensureSyntheticMmproj(
  cacheDir: string, spec: MmprojSpec, typeName: MmprojTypeName, log: (line: string) => void = () => {},
): Promise<SyntheticFile> {
  const path = mmprojPath(cacheDir, spec, typeName);
  const t0 = performance.now();
  if (await isValidCached(path, spec, typeName)) {
    return { path, bytes: (await stat(path)).size, reused: true, seconds: (performance.now() - t0) / 1000 };
  }
  await mkdir(cacheDir, { recursive: true });
  const list = mmprojTensors(spec, typeName);
  const pools = new Map<string, Pool>();
  const pool = (t: MmprojTensor): Pool => {
    const cols = t.dims[0];
    const key = `${t.type}/${cols}`;
    let p = pools.get(key);
    if (!p) {
      const maxRows = Math.max(...list.filter((u) => u.type === t.type && u.dims[0] === cols).map((u) => tensorBytes(u) / ggmlRowBytes(u.type, cols)));
      p = makePool(t.type, cols, maxRows, hash(`${typeName}/${key}`));
      pools.set(key, p);
    }
    return p;
  };
  const total = list.reduce((a, t) => a + tensorBytes(t), 0);
  let done = 0;
  let shown = -1;
  const progress = (n: number) => {
    done += n;
    const pct = Math.floor((done / total) * 100);
    if (pct >= shown + 10 || done === total) {
      shown = pct;
      log(`  writing ${path}: ${pct}% (${(done / 1e9).toFixed(2)} / ${(total / 1e9).toFixed(2)} GB)`);
    }
  };
  const constant = (n: number, v: number) => new Uint8Array(new Float32Array(n).fill(v).buffer);
  const tensors: GGUFWriteTensor[] = list.map((t) => {
    const count = t.dims.reduce((a, b) => a * b, 1);
    let data: GGUFWriteTensor["data"];
    if (t.fill === "ones" || t.fill === "zeros") {
      const bytes = constant(count, t.fill === "ones" ? 1 : 0);
      data = async () => { progress(bytes.byteLength); return bytes; };
    } else if (t.fill === "sincos") {
      data = async () => {
        const bytes = new Uint8Array(new SinCos2d(t.dims[0]).table(spec.positionsPerSide, spec.positionsPerSide).buffer);
        progress(bytes.byteLength);
        return bytes;
      };
    } else {
      data = async () => {
        const p = pool(t);
        const rows = tensorBytes(t) / p.rowBytes;
        const seed = hash(`${typeName}/${t.name}`);
        return (async function* () {
          for await (const chunk of poolRows(p, rows, seed)) {
            yield chunk;
            progress(chunk.byteLength);
          }
        })();
      };
    }
    return { name: t.name, dims: t.dims, type: t.type, data };
  });
  const bytes = await writeGGUF(await fileSink(path), { metadata: metadata(spec, typeName), tensors });
  return { path, bytes, reused: false, seconds: (performance.now() - t0) / 1000 };
}
