import { GGMLType } from "../ggml-types.js";
import { f32, readF16, roundAway, writeF16 } from "./common.js";
import { registerDequantizer, registerQuantizer } from "./registry.js";

/** Q8_0: blocks of 32 as {f16 d; i8 qs[32]}; x = q·d. */
const QK = 32;
const BYTES = 34;

export function dequantizeQ8_0(src: Uint8Array, dst: Float32Array, n: number): void {
  for (let o = 0, y = 0; y < n; o += BYTES, y += QK) {
    const d = readF16(src, o);
    for (let j = 0; j < QK; j++) dst[y + j] = ((src[o + 2 + j] << 24) >> 24) * d;
  }
}

export function quantizeQ8_0(src: Float32Array, dst: Uint8Array, n: number): void {
  for (let o = 0, x = 0; x < n; o += BYTES, x += QK) {
    let amax = 0;
    for (let j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(src[x + j]));
    const d = f32(amax / 127);
    const id = d ? f32(1 / d) : 0;
    writeF16(dst, o, d);
    for (let j = 0; j < QK; j++) dst[o + 2 + j] = roundAway(f32(src[x + j] * id)) & 0xff;
  }
}

registerDequantizer(GGMLType.Q8_0, dequantizeQ8_0);
registerQuantizer(GGMLType.Q8_0, quantizeQ8_0);
