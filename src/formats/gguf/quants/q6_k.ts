import { GGMLType } from "../ggml-types.js";
import { QK_K, clamp, f32, nearestInt, readF16, writeF16 } from "./common.js";
import { makeQxQuants } from "./k-common.js";
import { registerDequantizer, registerQuantizer } from "./registry.js";

/**
 * Q6_K {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d} — 16 groups of 16, x = d·sc·(q-32), 6-bit q.
 * Per 128 half: ql[l] low nibble = element l, high nibble = l+64; ql[l+32] = l+32 and l+96;
 * qh[l] carries the top two bits of l, l+32, l+64, l+96 at shifts 0, 2, 4, 6.
 */
const BYTES = 210;

export function dequantizeQ6_K(src: Uint8Array, dst: Float32Array, n: number): void {
  let y = 0;
  for (let o = 0; y < n; o += BYTES) {
    const d = readF16(src, o + 208);
    for (let half = 0; half < 2; half++) {
      const ql = o + 64 * half;
      const qh = o + 128 + 32 * half;
      const sc = o + 192 + 8 * half;
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const a = src[ql + l], b = src[ql + l + 32], h = src[qh + l];
        const q1 = ((a & 0x0f) | ((h & 3) << 4)) - 32;
        const q2 = ((b & 0x0f) | (((h >> 2) & 3) << 4)) - 32;
        const q3 = ((a >> 4) | (((h >> 4) & 3) << 4)) - 32;
        const q4 = ((b >> 4) | (((h >> 6) & 3) << 4)) - 32;
        dst[y + l] = f32(d * ((src[sc + is] << 24) >> 24)) * q1;
        dst[y + l + 32] = f32(d * ((src[sc + is + 2] << 24) >> 24)) * q2;
        dst[y + l + 64] = f32(d * ((src[sc + is + 4] << 24) >> 24)) * q3;
        dst[y + l + 96] = f32(d * ((src[sc + is + 6] << 24) >> 24)) * q4;
      }
      y += 128;
    }
  }
}

export function quantizeQ6_K(src: Float32Array, dst: Uint8Array, n: number): void {
  const L = new Uint8Array(QK_K);
  const scales = new Float32Array(16);
  for (let o = 0, x = 0; x < n; o += BYTES, x += QK_K) {
    let maxScale = 0;
    let maxAbsScale = 0;
    for (let ib = 0; ib < 16; ib++) {
      const s = makeQxQuants(16, 32, src, x + 16 * ib, L, 16 * ib);
      scales[ib] = s;
      if (Math.abs(s) > maxAbsScale) { maxAbsScale = Math.abs(s); maxScale = s; }
    }
    if (maxAbsScale < f32(1e-15)) {
      dst.fill(0, o, o + BYTES);
      continue;
    }
    const iscale = f32(-128 / maxScale);
    writeF16(dst, o + 208, f32(1 / iscale));
    for (let ib = 0; ib < 16; ib++) dst[o + 192 + ib] = Math.min(127, nearestInt(f32(iscale * scales[ib]))) & 0xff;
    const d16 = readF16(dst, o + 208);
    for (let j = 0; j < 16; j++) {
      const d = f32(d16 * ((dst[o + 192 + j] << 24) >> 24));
      if (!d) continue;
      for (let ii = 0; ii < 16; ii++) L[16 * j + ii] = clamp(nearestInt(f32(src[x + 16 * j + ii] / d)), -32, 31) + 32;
    }
    for (let half = 0; half < 2; half++) {
      const j = 128 * half;
      const ql = o + 64 * half;
      const qh = o + 128 + 32 * half;
      for (let l = 0; l < 32; l++) {
        const a = L[j + l], b = L[j + l + 32], c = L[j + l + 64], e = L[j + l + 96];
        dst[ql + l] = (a & 0x0f) | ((c & 0x0f) << 4);
        dst[ql + l + 32] = (b & 0x0f) | ((e & 0x0f) << 4);
        dst[qh + l] = (a >> 4) | ((b >> 4) << 2) | ((c >> 4) << 4) | ((e >> 4) << 6);
      }
    }
  }
}

registerDequantizer(GGMLType.Q6_K, dequantizeQ6_K);
registerQuantizer(GGMLType.Q6_K, quantizeQ6_K);
