import { GGMLType } from "../ggml-types.js";
import { QK_K, clamp, f32, nearestInt, readF16, writeF16 } from "./common.js";
import { makeQ3Quants, makeQkx2Quants } from "./k-common.js";
import { registerDequantizer, registerQuantizer } from "./registry.js";

/**
 * Q2_K {u8 scales[16]; u8 qs[64]; f16 d; f16 dmin} — 16 groups of 16, x = d·sc·q - dmin·m with
 * 4-bit sc/m per group and 2-bit q. Q3_K {u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d} — 16 groups
 * of 16, x = d·(sc-32)·(q-4) with 6-bit sc and 3-bit q (low 2 bits in qs, high bit in hmask).
 * In both, byte l of each 32-byte qs run holds elements l, l+32, l+64, l+96 of a 128 half, 2 bits each.
 */
const Q2K_BYTES = 84;
const Q3K_BYTES = 110;

export function dequantizeQ2_K(src: Uint8Array, dst: Float32Array, n: number): void {
  let y = 0;
  for (let o = 0; y < n; o += Q2K_BYTES) {
    const d = readF16(src, o + 80);
    const dmin = readF16(src, o + 82);
    let is = 0;
    for (let half = 0; half < 2; half++) {
      const q = o + 16 + half * 32;
      for (let shift = 0; shift < 8; shift += 2) {
        for (let part = 0; part < 2; part++) {
          const sc = src[o + is++];
          const dl = f32(d * (sc & 0x0f));
          const ml = f32(dmin * (sc >> 4));
          const qp = q + part * 16;
          for (let l = 0; l < 16; l++) dst[y++] = f32(dl * ((src[qp + l] >> shift) & 3)) - ml;
        }
      }
    }
  }
}

function packQs2(L: Uint8Array | Int8Array, dst: Uint8Array, o: number): void {
  for (let j = 0; j < QK_K; j += 128) {
    for (let l = 0; l < 32; l++) {
      dst[o + j / 4 + l] = L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6);
    }
  }
}

export function quantizeQ2_K(src: Float32Array, dst: Uint8Array, n: number): void {
  const L = new Uint8Array(QK_K);
  const Laux = new Uint8Array(16);
  const weights = new Float32Array(16);
  const mins = new Float32Array(16);
  const scales = new Float32Array(16);
  const q4scale = 15;
  for (let o = 0, x = 0; x < n; o += Q2K_BYTES, x += QK_K) {
    let maxScale = 0;
    let maxMin = 0;
    for (let j = 0; j < 16; j++) {
      for (let l = 0; l < 16; l++) weights[l] = Math.abs(src[x + 16 * j + l]);
      const [s, m] = makeQkx2Quants(16, 3, src, x + 16 * j, weights, L, 16 * j, Laux, f32(-0.5), f32(0.1), 15, true);
      scales[j] = s;
      mins[j] = m;
      if (scales[j] > maxScale) maxScale = scales[j];
      if (mins[j] > maxMin) maxMin = mins[j];
    }
    if (maxScale > 0) {
      const iscale = f32(q4scale / maxScale);
      for (let j = 0; j < 16; j++) dst[o + j] = nearestInt(f32(iscale * scales[j])) & 0xff;
      writeF16(dst, o + 80, f32(maxScale / q4scale));
    } else {
      dst.fill(0, o, o + 16);
      writeF16(dst, o + 80, 0);
    }
    if (maxMin > 0) {
      const iscale = f32(q4scale / maxMin);
      for (let j = 0; j < 16; j++) dst[o + j] |= (nearestInt(f32(iscale * mins[j])) << 4) & 0xff;
      writeF16(dst, o + 82, f32(maxMin / q4scale));
    } else {
      writeF16(dst, o + 82, 0);
    }
    // re-pick every level against the scales as stored
    const d16 = readF16(dst, o + 80);
    const dmin16 = readF16(dst, o + 82);
    for (let j = 0; j < 16; j++) {
      const d = f32(d16 * (dst[o + j] & 0x0f));
      if (!d) continue;
      const dm = f32(dmin16 * (dst[o + j] >> 4));
      for (let ii = 0; ii < 16; ii++) {
        L[16 * j + ii] = clamp(nearestInt(f32(f32(src[x + 16 * j + ii] + dm) / d)), 0, 3);
      }
    }
    packQs2(L, dst, o + 16);
  }
}

/** The j-th signed 6-bit scale of a Q3_K block whose 12 scale bytes start at `o`. */
function q3Scale(b: Uint8Array, o: number, j: number): number {
  const low = j < 8 ? b[o + j] & 0x0f : b[o + j - 8] >> 4;
  const high = (b[o + 8 + (j % 4)] >> (2 * (j >> 2))) & 3;
  return (low | (high << 4)) - 32;
}

export function dequantizeQ3_K(src: Uint8Array, dst: Float32Array, n: number): void {
  let y = 0;
  for (let o = 0; y < n; o += Q3K_BYTES) {
    const dAll = readF16(src, o + 108);
    let is = 0;
    let m = 1;
    for (let half = 0; half < 2; half++) {
      const q = o + 32 + half * 32;
      for (let shift = 0; shift < 8; shift += 2, m <<= 1) {
        for (let part = 0; part < 2; part++) {
          const dl = f32(dAll * q3Scale(src, o + 96, is++));
          const qp = q + part * 16;
          const hp = o + part * 16;
          for (let l = 0; l < 16; l++) {
            dst[y++] = dl * (((src[qp + l] >> shift) & 3) - (src[hp + l] & m ? 0 : 4));
          }
        }
      }
    }
  }
}

export function quantizeQ3_K(src: Float32Array, dst: Uint8Array, n: number): void {
  const L = new Int8Array(QK_K);
  const scales = new Float32Array(16);
  for (let o = 0, x = 0; x < n; o += Q3K_BYTES, x += QK_K) {
    let maxScale = 0;
    let amax = 0;
    for (let j = 0; j < 16; j++) {
      scales[j] = makeQ3Quants(16, 4, src, x + 16 * j, L, 16 * j);
      const s = Math.abs(scales[j]);
      if (s > amax) { amax = s; maxScale = scales[j]; }
    }
    const sc = o + 96;
    dst.fill(0, sc, sc + 12);
    if (maxScale) {
      const iscale = f32(-32 / maxScale);
      for (let j = 0; j < 16; j++) {
        let l = (nearestInt(f32(iscale * scales[j])) << 24) >> 24; // stored in an int8_t by ggml
        l = clamp(l, -32, 31) + 32;
        if (j < 8) dst[sc + j] = l & 0x0f;
        else dst[sc + j - 8] |= (l & 0x0f) << 4;
        dst[sc + 8 + (j % 4)] |= (l >> 4) << (2 * (j >> 2));
      }
      writeF16(dst, o + 108, f32(1 / iscale));
    } else {
      writeF16(dst, o + 108, 0);
    }
    const dAll = readF16(dst, o + 108);
    for (let j = 0; j < 16; j++) {
      const d = f32(dAll * q3Scale(dst, sc, j));
      if (!d) continue;
      for (let ii = 0; ii < 16; ii++) {
        L[16 * j + ii] = clamp(nearestInt(f32(src[x + 16 * j + ii] / d)), -4, 3) + 4;
      }
    }
    // high bit of element j goes to bit (j / 32) of hmask[j % 32]
    dst.fill(0, o, o + 32);
    for (let j = 0; j < QK_K; j++) {
      if (L[j] > 3) {
        dst[o + (j & 31)] |= 1 << (j >> 5);
        L[j] -= 4;
      }
    }
    packQs2(L, dst, o + 32);
  }
}

registerDequantizer(GGMLType.Q2_K, dequantizeQ2_K);
registerQuantizer(GGMLType.Q2_K, quantizeQ2_K);
registerDequantizer(GGMLType.Q3_K, dequantizeQ3_K);
registerQuantizer(GGMLType.Q3_K, quantizeQ3_K);
