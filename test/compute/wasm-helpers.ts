import { dequantize } from "../../src/formats/gguf/dequantize.js";
import { GGMLType, ggmlRowBytes } from "../../src/formats/gguf/ggml-types.js";
import { getQuantizer } from "../../src/formats/gguf/quants/index.js";
import { floatToHalf } from "../../src/util/f16.js";

export const QUANT_TYPES = [
  GGMLType.Q4_0, GGMLType.Q4_1, GGMLType.Q5_0, GGMLType.Q5_1, GGMLType.Q8_0,
  GGMLType.Q2_K, GGMLType.Q3_K, GGMLType.Q4_K, GGMLType.Q5_K, GGMLType.Q6_K,
];
export const FLOAT_TYPES = [GGMLType.F32, GGMLType.F16, GGMLType.BF16];
export const ALL_TYPES = [...FLOAT_TYPES, ...QUANT_TYPES];

/** Deterministic uniform [-1, 1) values. */
export function randoms(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = (s / 4294967296) * 2 - 1;
  }
  return out;
}

/** File bytes of a rows x cols matrix of `type` made from random values (ggml's own quantizers). */
export function randomWeightBytes(type: GGMLType, rows: number, cols: number, seed: number): Uint8Array {
  const f = randoms(rows * cols, seed);
  const bytes = new Uint8Array(ggmlRowBytes(type, cols) * rows);
  if (type === GGMLType.F32) bytes.set(new Uint8Array(f.buffer));
  else if (type === GGMLType.F16) {
    for (let i = 0; i < f.length; i++) { const h = floatToHalf(f[i]); bytes[2 * i] = h & 255; bytes[2 * i + 1] = h >>> 8; }
  } else if (type === GGMLType.BF16) {
    const u = new Uint32Array(f.buffer);
    for (let i = 0; i < f.length; i++) { bytes[2 * i] = (u[i] >>> 16) & 255; bytes[2 * i + 1] = u[i] >>> 24; }
  } else {
    const q = getQuantizer(type);
    if (!q) throw new Error(`no quantizer for type ${type}`);
    q(f, bytes, rows * cols);
  }
  return bytes;
}

/** Block size of the activation quantization the kernels use for `type` (0: none, f32 math). */
export function activationBlock(type: GGMLType): number {
  if (FLOAT_TYPES.includes(type)) return 0;
  return type >= GGMLType.Q2_K ? 256 : 32;
}

/**
 * x as the integer kernels see it: integers in [-levels, levels] per block with d = absmax / levels
 * (127: int8; 63: the 7-bit activations of Q8_0's many-row kernel), rounded half to even.
 */
export function quantizedActivations(x: Float32Array, block: number, levels = 127): Float32Array {
  if (!block) return x;
  const f = Math.fround;
  const out = new Float32Array(x.length);
  for (let b = 0; b < x.length; b += block) {
    let amax = 0;
    for (let i = b; i < b + block; i++) amax = Math.max(amax, Math.abs(x[i]));
    const d = f(amax / levels);
    const id = amax > 0 ? f(levels / amax) : 0;
    for (let i = b; i < b + block; i++) {
      const v = f(x[i] * id);
      let q = Math.round(v);
      if (q - v === 0.5 && q % 2 !== 0) q -= 1;
      out[i] = q * d;
    }
  }
  return out;
}

/** Reference y = x · Wᵀ in float64 from the dequantized weights. */
export function referenceMatmul(type: GGMLType, bytes: Uint8Array, rows: number, cols: number, x: Float32Array, n: number): Float64Array {
  const w = dequantize(type, bytes, rows * cols);
  const y = new Float64Array(n * rows);
  for (let t = 0; t < n; t++) {
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += w[r * cols + c] * x[t * cols + c];
      y[t * rows + r] = s;
    }
  }
  return y;
}

/** max |a - b| / max |b|. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0, scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale > 0 ? err / scale : err;
}
