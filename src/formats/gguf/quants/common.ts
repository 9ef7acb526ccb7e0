import { floatToHalf, halfToFloat } from "../../../util/f16.js";

/**
 * Helpers shared by the block codecs. ggml computes in float32; every intermediate here goes
 * through `f32` (Math.fround) so results are bit-identical. A single double operation rounded to
 * float32 equals the float32 operation for + - * / and sqrt (53 >= 2*24+2 bits), so one fround per
 * C operation is enough.
 */
export const f32 = Math.fround;

/** Elements per K-quant super-block. */
export const QK_K = 256;

export function readF16(b: Uint8Array, o: number): number {
  return halfToFloat(b[o] | (b[o + 1] << 8));
}

/** Stores x as IEEE half (round to nearest even), as GGML_FP32_TO_FP16 does. */
export function writeF16(b: Uint8Array, o: number, x: number): void {
  const h = floatToHalf(x);
  b[o] = h & 0xff;
  b[o + 1] = h >>> 8;
}

/** What GGML_FP16_TO_FP32(GGML_FP32_TO_FP16(x)) gives. */
export function viaF16(x: number): number {
  return halfToFloat(floatToHalf(x));
}

/**
 * ggml's `nearest_int` (the 1.5·2^23 trick): round half to even of a float32 value.
 * NaN maps to 0 so callers' integer arrays stay integers.
 */
export function nearestInt(x: number): number {
  const r = Math.round(x);
  if (r - x === 0.5) return r & 1 ? r - 1 : r; // Math.round sends ties up; ggml sends them to even
  return r === r ? r : 0;
}

/** C's roundf: half away from zero. */
export function roundAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** C's float -> integer conversion (truncation toward zero). */
export function trunc(x: number): number {
  const t = Math.trunc(x);
  return Number.isNaN(t) ? 0 : t;
}

export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
