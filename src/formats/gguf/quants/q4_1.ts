import { GGMLType } from "../ggml-types.js";
import { clamp, f32, readF16, trunc, writeF16 } from "./common.js";
import { registerDequantizer, registerQuantizer } from "./registry.js";

/** Q4_1: blocks of 32 as {f16 d; f16 m; u8 qs[16]}; x = q·d + m (nibble layout as Q4_0). */
const QK = 32;
const BYTES = 20;

export function dequantizeQ4_1(src: Uint8Array, dst: Float32Array, n: number): void {
  for (let o = 0, y = 0; y < n; o += BYTES, y += QK) {
    const d = readF16(src, o);
    const m = readF16(src, o + 2);
    for (let j = 0; j < 16; j++) {
      const q = src[o + 4 + j];
      dst[y + j] = f32((q & 0x0f) * d) + m;
      dst[y + j + 16] = f32((q >> 4) * d) + m;
    }
  }
}

export function quantizeQ4_1(src: Float32Array, dst: Uint8Array, n: number): void {
  for (let o = 0, x = 0; x < n; o += BYTES, x += QK) {
    let min = Infinity;
    let max = -Infinity;
    for (let j = 0; j < QK; j++) {
      const v = src[x + j];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const d = f32(f32(max - min) / 15);
    const id = d ? f32(1 / d) : 0;
    writeF16(dst, o, d);
    writeF16(dst, o + 2, min);
    for (let j = 0; j < 16; j++) {
      const x0 = f32(f32(src[x + j] - min) * id);
      const x1 = f32(f32(src[x + j + 16] - min) * id);
      const q0 = clamp(trunc(f32(x0 + 0.5)), 0, 15);
      const q1 = clamp(trunc(f32(x1 + 0.5)), 0, 15);
      dst[o + 4 + j] = q0 | (q1 << 4);
    }
  }
}

registerDequantizer(GGMLType.Q4_1, dequantizeQ4_1);
registerQuantizer(GGMLType.Q4_1, quantizeQ4_1);
