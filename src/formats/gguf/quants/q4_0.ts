import { GGMLType } from "../ggml-types.js";
import { clamp, f32, readF16, trunc, writeF16 } from "./common.js";
import { registerDequantizer, registerQuantizer } from "./registry.js";

/**
 * Q4_0: blocks of 32 as {f16 d; u8 qs[16]}; x = (q - 8)·d. Byte j holds element j (low nibble)
 * and element j+16 (high nibble).
 */
const QK = 32;
const BYTES = 18;

export function dequantizeQ4_0(src: Uint8Array, dst: Float32Array, n: number): void {
  for (let b = 0, o = 0, y = 0; y < n; b++, o += BYTES, y += QK) {
    const d = readF16(src, o);
    for (let j = 0; j < 16; j++) {
      const q = src[o + 2 + j];
      dst[y + j] = ((q & 0x0f) - 8) * d;
      dst[y + j + 16] = ((q >> 4) - 8) * d;
    }
  }
}

export function quantizeQ4_0(src: Float32Array, dst: Uint8Array, n: number): void {
  for (let o = 0, x = 0; x < n; o += BYTES, x += QK) {
    // the signed value of largest magnitude maps to -8, so the grid is used asymmetrically
    let amax = 0;
    let max = 0;
    for (let j = 0; j < QK; j++) {
      const v = src[x + j];
      if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }
    }
    const d = f32(max / -8);
    const id = d ? f32(1 / d) : 0;
    writeF16(dst, o, d);
    for (let j = 0; j < 16; j++) {
      const x0 = f32(src[x + j] * id);
      const x1 = f32(src[x + j + 16] * id);
      const q0 = clamp(trunc(f32(x0 + 8.5)), 0, 15);
      const q1 = clamp(trunc(f32(x1 + 8.5)), 0, 15);
      dst[o + 2 + j] = q0 | (q1 << 4);
    }
  }
}

registerDequantizer(GGMLType.Q4_0, dequantizeQ4_0);
registerQuantizer(GGMLType.Q4_0, quantizeQ4_0);
