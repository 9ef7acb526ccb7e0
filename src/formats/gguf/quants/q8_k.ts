import { GGMLType } from "../ggml-types.js";
import { QK_K, f32, nearestInt } from "./common.js";
import { registerDequantizer, registerQuantizer } from "./registry.js";

/**
 * Q8_K {f32 d; i8 qs[256]; i16 bsums[16]} — ggml's intermediate type for K-quant dot products;
 * bsums are the sums of each 16 quants.
 */
const BYTES = 292;

export function dequantizeQ8_K(src: Uint8Array, dst: Float32Array, n: number): void {
  const v = new DataView(src.buffer, src.byteOffset, src.byteLength);
  for (let o = 0, y = 0; y < n; o += BYTES, y += QK_K) {
    const d = v.getFloat32(o, true);
    for (let j = 0; j < QK_K; j++) dst[y + j] = d * ((src[o + 4 + j] << 24) >> 24);
  }
}

export function quantizeQ8_K(src: Float32Array, dst: Uint8Array, n: number): void {
  const v = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  for (let o = 0, x = 0; x < n; o += BYTES, x += QK_K) {
    let max = 0;
    let amax = 0;
    for (let j = 0; j < QK_K; j++) {
      const ax = Math.abs(src[x + j]);
      if (ax > amax) { amax = ax; max = src[x + j]; }
    }
    if (!amax) {
      dst.fill(0, o, o + BYTES);
      continue;
    }
    const iscale = f32(-127 / max);
    for (let j = 0; j < QK_K; j++) dst[o + 4 + j] = Math.min(127, nearestInt(f32(iscale * src[x + j]))) & 0xff;
    for (let j = 0; j < 16; j++) {
      let sum = 0;
      for (let ii = 0; ii < 16; ii++) sum += (dst[o + 4 + 16 * j + ii] << 24) >> 24;
      v.setInt16(o + 4 + QK_K + 2 * j, sum, true);
    }
    v.setFloat32(o, f32(1 / iscale), true);
  }
}

registerDequantizer(GGMLType.Q8_K, dequantizeQ8_K);
registerQuantizer(GGMLType.Q8_K, quantizeQ8_K);
