import { GGMLType } from "../ggml-types.js";
import { QK_K, clamp, f32, nearestInt, readF16, writeF16 } from "./common.js";
import { makeQkx2Quants, packScaleMinK4, scaleMinK4 } from "./k-common.js";
import { registerDequantizer, registerQuantizer } from "./registry.js";

/**
 * Q4_K {f16 d; f16 dmin; u8 scales[12]; u8 qs[128]} — 8 groups of 32, x = d·sc·q - dmin·m with 6-bit
 * sc/m and 4-bit q. Each 32-byte qs run holds two groups: low nibbles first group, high nibbles second.
 */
const BYTES = 144;

export function dequantizeQ4_K(src: Uint8Array, dst: Float32Array, n: number): void {
  let y = 0;
  for (let o = 0; y < n; o += BYTES) {
    const d = readF16(src, o);
    const min = readF16(src, o + 2);
    for (let g = 0; g < 4; g++) {
      const [s1, m1] = scaleMinK4(2 * g, src, o + 4);
      const [s2, m2] = scaleMinK4(2 * g + 1, src, o + 4);
      const d1 = f32(d * s1), n1 = f32(min * m1);
      const d2 = f32(d * s2), n2 = f32(min * m2);
      const q = o + 16 + 32 * g;
      for (let l = 0; l < 32; l++) dst[y++] = f32(d1 * (src[q + l] & 0x0f)) - n1;
      for (let l = 0; l < 32; l++) dst[y++] = f32(d2 * (src[q + l] >> 4)) - n2;
    }
  }
}

// reused across blocks: quantizing is synchronous, so one set of buffers is enough
const scratch = {
  Laux: new Uint8Array(32), weights: new Float32Array(32), mins: new Float32Array(8), scales: new Float32Array(8),
  ls: new Uint8Array(8), lm: new Uint8Array(8),
};

/**
 * First pass shared with Q5_K: per 32-group weighted scale/min search, then the 6-bit scale codes.
 * Returns the levels re-picked against the stored (f16, 6-bit) scales.
 */
export function quantizeScaleMinBlock(
  src: Float32Array, x: number, dst: Uint8Array, o: number, nmax: number, rmin: number, nstep: number, L: Uint8Array,
): void {
  const { Laux, weights, mins, scales, ls, lm } = scratch;
  let maxScale = 0;
  let maxMin = 0;
  for (let j = 0; j < 8; j++) {
    let sumX2 = 0;
    for (let l = 0; l < 32; l++) { const v = src[x + 32 * j + l]; sumX2 = f32(sumX2 + f32(v * v)); }
    const avX = f32(Math.sqrt(f32(sumX2 / 32)));
    for (let l = 0; l < 32; l++) weights[l] = f32(avX + Math.abs(src[x + 32 * j + l]));
    const [s, m] = makeQkx2Quants(32, nmax, src, x + 32 * j, weights, L, 32 * j, Laux, rmin, f32(0.1), nstep, false);
    scales[j] = s;
    mins[j] = m;
    if (scales[j] > maxScale) maxScale = scales[j];
    if (mins[j] > maxMin) maxMin = mins[j];
  }
  const invScale = maxScale > 0 ? f32(63 / maxScale) : 0;
  const invMin = maxMin > 0 ? f32(63 / maxMin) : 0;
  for (let j = 0; j < 8; j++) {
    // ggml stores nearest_int in a uint8_t before MIN(63, .)
    ls[j] = Math.min(63, nearestInt(f32(invScale * scales[j])) & 0xff);
    lm[j] = Math.min(63, nearestInt(f32(invMin * mins[j])) & 0xff);
  }
  packScaleMinK4(ls, lm, dst, o + 4);
  writeF16(dst, o, f32(maxScale / 63));
  writeF16(dst, o + 2, f32(maxMin / 63));
  const d16 = readF16(dst, o);
  const dmin16 = readF16(dst, o + 2);
  for (let j = 0; j < 8; j++) {
    const [sc, m] = scaleMinK4(j, dst, o + 4);
    const d = f32(d16 * sc);
    if (!d) continue;
    const dm = f32(dmin16 * m);
    for (let ii = 0; ii < 32; ii++) {
      L[32 * j + ii] = clamp(nearestInt(f32(f32(src[x + 32 * j + ii] + dm) / d)), 0, nmax);
    }
  }
}

export function quantizeQ4_K(src: Float32Array, dst: Uint8Array, n: number): void {
  const L = new Uint8Array(QK_K);
  for (let o = 0, x = 0; x < n; o += BYTES, x += QK_K) {
    quantizeScaleMinBlock(src, x, dst, o, 15, -1, 20, L);
    for (let g = 0; g < 4; g++) {
      for (let l = 0; l < 32; l++) dst[o + 16 + 32 * g + l] = L[64 * g + l] | (L[64 * g + l + 32] << 4);
    }
  }
}

registerDequantizer(GGMLType.Q4_K, dequantizeQ4_K);
registerQuantizer(GGMLType.Q4_K, quantizeQ4_K);
