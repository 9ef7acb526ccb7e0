import { GGMLType } from "../ggml-types.js";
import { QK_K, f32, readF16 } from "./common.js";
import { scaleMinK4 } from "./k-common.js";
import { quantizeScaleMinBlock } from "./q4_k.js";
import { registerDequantizer, registerQuantizer } from "./registry.js";

/**
 * Q5_K {f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]} — Q4_K plus a fifth bit per element:
 * bit 2g (first group of the pair g) and 2g+1 (second group) of qh[l].
 */
const BYTES = 176;

export function dequantizeQ5_K(src: Uint8Array, dst: Float32Array, n: number): void {
  let y = 0;
  for (let o = 0; y < n; o += BYTES) {
    const d = readF16(src, o);
    const min = readF16(src, o + 2);
    const qh = o + 16;
    for (let g = 0; g < 4; g++) {
      const [s1, m1] = scaleMinK4(2 * g, src, o + 4);
      const [s2, m2] = scaleMinK4(2 * g + 1, src, o + 4);
      const d1 = f32(d * s1), n1 = f32(min * m1);
      const d2 = f32(d * s2), n2 = f32(min * m2);
      const u1 = 1 << (2 * g), u2 = 2 << (2 * g);
      const q = o + 48 + 32 * g;
      for (let l = 0; l < 32; l++) dst[y++] = f32(d1 * ((src[q + l] & 0x0f) + (src[qh + l] & u1 ? 16 : 0))) - n1;
      for (let l = 0; l < 32; l++) dst[y++] = f32(d2 * ((src[q + l] >> 4) + (src[qh + l] & u2 ? 16 : 0))) - n2;
    }
  }
}

export function quantizeQ5_K(src: Float32Array, dst: Uint8Array, n: number): void {
  const L = new Uint8Array(QK_K);
  for (let o = 0, x = 0; x < n; o += BYTES, x += QK_K) {
    quantizeScaleMinBlock(src, x, dst, o, 31, f32(-0.5), 15, L);
    dst.fill(0, o + 16, o + 48);
    for (let g = 0; g < 4; g++) {
      for (let j = 0; j < 32; j++) {
        let l1 = L[64 * g + j];
        let l2 = L[64 * g + j + 32];
        if (l1 > 15) { l1 -= 16; dst[o + 16 + j] |= 1 << (2 * g); }
        if (l2 > 15) { l2 -= 16; dst[o + 16 + j] |= 2 << (2 * g); }
        dst[o + 48 + 32 * g + j] = l1 | (l2 << 4);
      }
    }
  }
}

registerDequantizer(GGMLType.Q5_K, dequantizeQ5_K);
registerQuantizer(GGMLType.Q5_K, quantizeQ5_K);
