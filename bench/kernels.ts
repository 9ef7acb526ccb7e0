/**
 * Micro-benchmark of the WebAssembly kernels (src/compute/wasm):
 *   decode  y = W·x, one activation row: GB/s of weights streamed (4096x4096, cold: the matrix is
 *           one of several copies totalling more than the last-level cache);
 *   prefill Y = X·Wᵀ with 64 activation rows: GFLOP/s (2·rows·cols·n per call).
 * For 1 and 2 threads, medians of several runs. Peers measured in the same process: a plain read of
 * the same bytes with the same threads (the bandwidth ceiling), and the F32 prefill (what the integer
 * paths should beat).
 *
 *   node --import tsx bench/kernels.ts [--json] [--threads 1,2] [--types Q4_0,Q4_K,Q8_0,F16]
 *                                      [--size 4096] [--n 64] [--reps 7] [--plain]
 * Env COLD_BYTES: total bytes of the weight copies cycled through (default 160 MiB); COLD_BYTES=1 keeps one
 * copy, cache-hot when small, to separate a kernel's arithmetic from its memory traffic.
 */
import { parseArgs } from "node:util";
import type { WeightMatrix } from "../src/compute/backend.js";
import { MemorySlot } from "../src/compute/wasm/memory-slot.js";
import { ThreadPool } from "../src/compute/wasm/pool.js";
import { createWasmBackend, type WasmBackend } from "../src/compute/wasm/index.js";
import { GGMLType, ggmlRowBytes, ggmlTypeName } from "../src/formats/gguf/ggml-types.js";
import { nodeWasmPlatform } from "../src/node/wasm-platform.js";
import { compileKernels } from "../src/compute/wasm/platform.js";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    threads: { type: "string", default: "1,2" },
    types: { type: "string", default: "Q4_0,Q4_K,Q8_0,F16" },
    size: { type: "string", default: "4096" },
    n: { type: "string", default: "64" },
    reps: { type: "string", default: "7" },
    plain: { type: "boolean", default: false },
  },
});
const SIZE = Number(values.size);
const N = Number(values.n);
const REPS = Number(values.reps);
const THREADS = values.threads!.split(",").map(Number);
const TYPES = values.types!.split(",").map((t) => {
  const type = GGMLType[t as keyof typeof GGMLType];
  if (type === undefined) throw new Error(`unknown type ${t}`);
  return type;
});
/** Copies of each matrix rotate until this many bytes, so decode reads come from memory, not cache. */
const COLD_BYTES = process.env.COLD_BYTES ? Number(process.env.COLD_BYTES) : 160 << 20;
const log = (s: string): void => void (values.json || console.error(s));

/** Random blocks with sane f16 scales (no NaN, inf or subnormal), as fast as the bytes can be made. */
function randomBlocks(type: GGMLType, rows: number, cols: number, seed: number): (d: Uint8Array) => void {
  return (d) => {
    const u32 = new Uint32Array(d.buffer, d.byteOffset, d.byteLength >>> 2);
    let s = seed;
    for (let i = 0; i < u32.length; i++) { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; u32[i] = s; }
    const half = (o: number): void => { d[o] = (s = (s * 1103515245 + 12345) >>> 0) & 0xff; d[o + 1] = 0x20 | ((s >>> 8) & 3); };
    const elems = rows * cols;
    if (type === GGMLType.F16 || type === GGMLType.BF16) {
      for (let i = 0; i < elems; i++) d[2 * i + 1] = (d[2 * i + 1] & 0x83) | (type === GGMLType.F16 ? 0x30 : 0x3c);
      return;
    }
    if (type === GGMLType.F32) {
      const f = new Float32Array(d.buffer, d.byteOffset, elems);
      for (let i = 0; i < elems; i++) f[i] = (u32[i] / 4294967296) - 0.5;
      return;
    }
    const k = type >= GGMLType.Q2_K;
    const bs = ggmlRowBytes(type, k ? 256 : 32);
    const scales: Record<number, number[]> = {
      [GGMLType.Q4_0]: [0], [GGMLType.Q4_1]: [0, 2], [GGMLType.Q5_0]: [0], [GGMLType.Q5_1]: [0, 2], [GGMLType.Q8_0]: [0],
      [GGMLType.Q2_K]: [80, 82], [GGMLType.Q3_K]: [108], [GGMLType.Q4_K]: [0, 2], [GGMLType.Q5_K]: [0, 2], [GGMLType.Q6_K]: [208],
    };
    for (let o = 0; o < d.byteLength; o += bs) for (const at of scales[type]) half(o + at);
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function time(f: () => void): number {
  const t0 = performance.now();
  f();
  return (performance.now() - t0) / 1000;
}

interface Row {
  threads: number;
  type: string;
  decodeGBs: number;
  decodeBestGBs: number;
  prefillGflops: number;
  prefillBestGflops: number;
}

/** Read bandwidth of `bytes` (cold) with `threads` threads, GB/s (median, best). */
async function streamPeer(threads: number, module: WebAssembly.Module): Promise<[number, number]> {
  const platform = nodeWasmPlatform();
  const slot = await MemorySlot.create(module, 0, 1 << 30);
  const pool = await ThreadPool.start(platform.workerPort, module, [slot.memory], threads);
  try {
    const bytes = 16 << 20;
    const copies = Math.ceil(COLD_BYTES / bytes);
    const ptrs = Array.from({ length: copies }, () => slot.arena.alloc(bytes)!);
    for (const p of ptrs) slot.u8.fill(1, p, p + bytes);
    const run = (): void => { for (const p of ptrs) pool.run(slot, "stream_read", [p, 0, 0], { at: 1, total: bytes / 64, align: 64 }); };
    run();
    const ts = Array.from({ length: REPS }, () => time(run));
    return [(copies * bytes) / median(ts) / 1e9, (copies * bytes) / Math.min(...ts) / 1e9];
  } finally {
    await pool.dispose();
  }
}

async function measure(be: WasmBackend, type: GGMLType): Promise<Row> {
  const bytes = ggmlRowBytes(type, SIZE) * SIZE;
  const copies = Math.max(1, Math.ceil(COLD_BYTES / bytes));
  const ws: WeightMatrix[] = [];
  for (let i = 0; i < copies; i++) ws.push(await be.createWeight(type, SIZE, SIZE, randomBlocks(type, SIZE, SIZE, 12345 + i)));
  const x1 = new Float32Array(SIZE).map((_, i) => Math.sin(i));
  const xn = new Float32Array(SIZE * N).map((_, i) => Math.sin(i * 0.37));
  const y1 = new Float32Array(SIZE);
  const yn = new Float32Array(SIZE * N);
  const decode = (): void => { for (const w of ws) be.matmul(w, x1, 1, undefined, y1); };
  const prefill = (): void => void be.matmul(ws[0], xn, N, undefined, yn);
  decode();
  prefill();
  const dec = Array.from({ length: REPS }, () => time(decode) / copies);
  const pre = Array.from({ length: Math.max(3, REPS >> 1) }, () => time(prefill));
  const flops = 2 * SIZE * SIZE * N;
  return {
    threads: be.threads,
    type: ggmlTypeName(type),
    decodeGBs: bytes / median(dec) / 1e9,
    decodeBestGBs: bytes / Math.min(...dec) / 1e9,
    prefillGflops: flops / median(pre) / 1e9,
    prefillBestGflops: flops / Math.min(...pre) / 1e9,
  };
}

const rows: Row[] = [];
const streams: Record<number, [number, number]> = {};
let relaxed = false;
for (const threads of THREADS) {
  const module = await compileKernels(values.plain ? nodeWasmPlatform().kernels.simd : nodeWasmPlatform().kernels.relaxed!);
  streams[threads] = await streamPeer(threads, module);
  log(`threads ${threads}: read bandwidth ${streams[threads][0].toFixed(1)} GB/s (best ${streams[threads][1].toFixed(1)})`);
  for (const type of [...TYPES, ...(TYPES.includes(GGMLType.F32) ? [] : [GGMLType.F32])]) {
    const be = await createWasmBackend({ threads, relaxedSimd: !values.plain });
    relaxed = be.relaxedSimd;
    try {
      const r = await measure(be, type);
      if (type !== GGMLType.F32 || TYPES.includes(GGMLType.F32)) rows.push(r);
      else rows.push({ ...r, type: "F32 (peer)" });
      log(`  ${r.type.padEnd(5)} decode ${r.decodeGBs.toFixed(1).padStart(5)} GB/s (best ${r.decodeBestGBs.toFixed(1)})   prefill n=${N} ${r.prefillGflops.toFixed(0).padStart(4)} GFLOP/s (best ${r.prefillBestGflops.toFixed(0)})`);
    } finally {
      await be.dispose();
    }
  }
}

const f32 = (t: number): Row | undefined => rows.find((r) => r.threads === t && r.type.startsWith("F32"));
const report = {
  size: SIZE, n: N, reps: REPS, relaxedSimd: relaxed,
  readBandwidthGBs: Object.fromEntries(Object.entries(streams).map(([t, [m, b]]) => [t, { median: m, best: b }])),
  rows: rows.map((r) => ({
    ...r,
    decodeOfReadBandwidth: r.decodeGBs / streams[r.threads][0],
    prefillOverF32: r.prefillGflops / (f32(r.threads)?.prefillGflops ?? NaN),
  })),
};
if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  console.log(`\n${SIZE}x${SIZE} weights, prefill n=${N}, ${relaxed ? "relaxed SIMD" : "SIMD128"}, medians of ${REPS}`);
  console.log("threads type        decode GB/s  of read-bw   prefill GFLOP/s  x F32");
  for (const r of report.rows) {
    console.log(`${String(r.threads).padStart(7)} ${r.type.padEnd(11)} ${r.decodeGBs.toFixed(1).padStart(11)} ${(100 * r.decodeOfReadBandwidth).toFixed(0).padStart(10)}% ${r.prefillGflops.toFixed(0).padStart(16)} ${r.prefillOverF32.toFixed(2).padStart(6)}`);
  }
  console.log(`read bandwidth (same process, same threads): ${Object.entries(report.readBandwidthGBs).map(([t, v]) => `${t}T ${v.median.toFixed(1)} GB/s`).join(", ")}`);
}
process.exit(0);
