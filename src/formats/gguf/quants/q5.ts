import { GGMLType } from "../ggml-types.js";
import { clamp, f32, readF16, trunc, writeF16 } from "./common.js";
import { registerDequantizer, registerQuantizer } from "./registry.js";

/**
 * Q5_0 {f16 d; u32 qh; u8 qs[16]}, x = (q - 16)·d, and Q5_1 {f16 d; f16 m; u32 qh; u8 qs[16]},
 * x = q·d + m. Low nibbles as in Q4_0; bit j of qh is the fifth bit of element j.
 */
const QK = 32;

function qhAt(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

function putQh(b: Uint8Array, o: number, qh: number): void {
  b[o] = qh & 0xff;
  b[o + 1] = (qh >>> 8) & 0xff;
  b[o + 2] = (qh >>> 16) & 0xff;
  b[o + 3] = qh >>> 24;
}

export function dequantizeQ5_0(src: Uint8Array, dst: Float32Array, n: number): void {
  for (let o = 0, y = 0; y < n; o += 22, y += QK) {
    const d = readF16(src, o);
    const qh = qhAt(src, o + 2);
    for (let j = 0; j < 16; j++) {
      const q = src[o + 6 + j];
      const q0 = (q & 0x0f) | (((qh >>> j) & 1) << 4);
      const q1 = (q >> 4) | (((qh >>> (j + 16)) & 1) << 4);
      dst[y + j] = (q0 - 16) * d;
      dst[y + j + 16] = (q1 - 16) * d;
    }
  }
}

export function quantizeQ5_0(src: Float32Array, dst: Uint8Array, n: number): void {
  for (let o = 0, x = 0; x < n; o += 22, x += QK) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < QK; j++) {
      const v = src[x + j];
      if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }
    }
    const d = f32(max / -16);
    const id = d ? f32(1 / d) : 0;
    writeF16(dst, o, d);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const q0 = clamp(trunc(f32(f32(src[x + j] * id) + 16.5)), 0, 31);
      const q1 = clamp(trunc(f32(f32(src[x + j + 16] * id) + 16.5)), 0, 31);
      dst[o + 6 + j] = (q0 & 0x0f) | ((q1 & 0x0f) << 4);
      qh |= ((q0 >> 4) << j) | ((q1 >> 4) << (j + 16));
    }
    putQh(dst, o + 2, qh >>> 0);
  }
}

export function dequantizeQ5_1(src: Uint8Array, dst: Float32Array, n: number): void {
  for (let o = 0, y = 0; y < n; o += 24, y += QK) {
    const d = readF16(src, o);
    const m = readF16(src, o + 2);
    const qh = qhAt(src, o + 4);
    for (let j = 0; j < 16; j++) {
      const q = src[o + 8 + j];
      const q0 = (q & 0x0f) | (((qh >>> j) & 1) << 4);
      const q1 = (q >> 4) | (((qh >>> (j + 16)) & 1) << 4);
      dst[y + j] = f32(q0 * d) + m;
      dst[y + j + 16] = f32(q1 * d) + m;
    }
  }
}

export function quantizeQ5_1(src: Float32Array, dst: Uint8Array, n: number): void {
  for (let o = 0, x = 0; x < n; o += 24, x += QK) {
    let min = Infinity;
    let max = -Infinity;
    for (let j = 0; j < QK; j++) {
      const v = src[x + j];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const d = f32(f32(max - min) / 31);
    const id = d ? f32(1 / d) : 0;
    writeF16(dst, o, d);
    writeF16(dst, o + 2, min);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      // ggml does not clamp here: (x - min)·id + 0.5 stays below 32
      const q0 = clamp(trunc(f32(f32(f32(src[x + j] - min) * id) + 0.5)), 0, 31);
      const q1 = clamp(trunc(f32(f32(f32(src[x + j + 16] - min) * id) + 0.5)), 0, 31);
      dst[o + 8 + j] = (q0 & 0x0f) | ((q1 & 0x0f) << 4);
      qh |= ((q0 >> 4) << j) | ((q1 >> 4) << (j + 16));
    }
    putQh(dst, o + 4, qh >>> 0);
  }
}

registerDequantizer(GGMLType.Q5_0, dequantizeQ5_0);
registerQuantizer(GGMLType.Q5_0, quantizeQ5_0);
registerDequantizer(GGMLType.Q5_1, dequantizeQ5_1);
registerQuantizer(GGMLType.Q5_1, quantizeQ5_1);
