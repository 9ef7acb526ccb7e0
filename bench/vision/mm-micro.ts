/**
 * Micro-benchmark of the vision tower's products on the wasm backend (one crop = 1024 rows):
 *   node --import tsx bench/vision/mm-micro.ts [threads] [types] [ops]
 * prints ms and GFLOP/s per product shape, and the attention over 1024 patches (16 heads of 72).
 */
import { createWasmBackend } from "../../src/compute/wasm/index.js";
import { GGMLType, ggmlRowBytes } from "../../src/formats/gguf/ggml-types.js";
import { floatToHalf } from "../../src/util/f16.js";

const threads = Number(process.argv[2] ?? 1);
const types = (process.argv[3] ?? "F16,Q8_0").split(",");
const ops = (process.argv[4] ?? "mm,attn").split(",");
const N = 1024;
const be = await createWasmBackend({ threads });
let seed = 1;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296 - 0.5);
const fill = (type: GGMLType, rows: number, cols: number) => (d: Uint8Array) => {
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  if (type === GGMLType.F16) { for (let i = 0; i < rows * cols; i++) dv.setUint16(2 * i, floatToHalf(rnd() * 0.1), true); return; }
  const bs = ggmlRowBytes(type, 32);
  for (let o = 0; o < d.byteLength; o += bs) { dv.setUint16(o, floatToHalf(0.001), true); for (let j = 2; j < bs; j++) d[o + j] = (rnd() * 255) | 0; }
};
const x = new Float32Array(N * 4304).map(() => rnd());
const time = (f: () => void, reps = 3) => { f(); const s: number[] = []; for (let i = 0; i < reps; i++) { const t = performance.now(); f(); s.push(performance.now() - t); } return s.sort((a, b) => a - b)[reps >> 1]; };
if (ops.includes("mm")) for (const t of types) {
  const type = GGMLType[t as keyof typeof GGMLType];
  for (const [rows, cols] of [[1152, 1152], [4304, 1152], [1152, 4304]]) {
    const realType = cols === 4304 && type === GGMLType.Q8_0 ? GGMLType.F16 : type;
    const w = await be.createWeight(realType, rows, cols, fill(realType, rows, cols), { manyRows: "float" });
    const out = new Float32Array(N * rows);
    const ms = time(() => be.matmul(w, x, N, undefined, out));
    console.log(`${t === "Q8_0" && realType !== type ? "F16(q8 file)" : t} ${rows}x${cols} n=${N}: ${ms.toFixed(0)} ms, ${(2 * rows * cols * N / ms / 1e6).toFixed(1)} GFLOP/s`);
  }
}
if (ops.includes("gelu")) {
  const w = await be.createWeight(GGMLType.F16, 4304, 1152, fill(GGMLType.F16, 4304, 1152), { manyRows: "float" });
  const b = new Float32Array(4304).map(() => rnd());
  const out = new Float32Array(N * 4304);
  const a = time(() => be.matmul(w, x, N, b, out));
  const g = time(() => be.matmulGelu(w, x, N, b, out));
  console.log(`fc1 ${N} rows: matmul + bias ${a.toFixed(0)} ms, matmulGelu ${g.toFixed(0)} ms`);
}
if (ops.includes("attn")) {
  const W = 1152, H = 16, D = 72;
  const q = new Float32Array(N * W).map(() => rnd()), k = q.map(() => rnd()), v = q.map(() => rnd());
  const out = new Float32Array(N * W);
  const ms = time(() => be.attention({ q, k, v, out, nQ: N, nKV: N, nHeads: H, nKVHeads: H, headDim: D, scale: 1 / Math.sqrt(D) }));
  console.log(`attention ${N}x${N} ${H}x${D}: ${ms.toFixed(0)} ms, ${(4 * N * N * H * D / ms / 1e6).toFixed(1)} GFLOP/s`);
}
await be.dispose();
