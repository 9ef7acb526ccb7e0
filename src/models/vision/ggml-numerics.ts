/**
 * Two places where llama.cpp's CPU path (ggml) rounds through f16 in the vision tower; emulating them
 * brings our result within ~1e-5 of llama.cpp instead of ~1e-3:
 * - `ggml_conv_2d` builds its im2col buffer in f16, so the pixels are rounded to f16 before the patch product;
 * - GELU uses ggml-cpu's f16 lookup table: input rounded to f16, output stored as f16
 *   (inputs <= -10 give 0, inputs >= 10 pass through).
 */
import { floatToHalf, halfToFloat, roundToHalf } from "../../util/f16.js";

export function roundToHalfInPlace(a: Float32Array): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = roundToHalf(a[i]);
  return a;
}

const f32 = Math.fround;
const GELU_COEF_A = f32(0.044715);
const SQRT_2_OVER_PI = f32(0.7978845608028654);

/** ggml_gelu_f32 in float32 arithmetic. */
function geluF32(x: number): number {
  const inner = f32(f32(SQRT_2_OVER_PI * x) * f32(1 + f32(f32(GELU_COEF_A * x) * x)));
  return f32(f32(0.5 * x) * f32(1 + f32(Math.tanh(inner))));
}

let table: Float32Array | undefined;

/** ggml_table_gelu_f16: for every half h, half(gelu(h)). */
function geluTable(): Float32Array {
  if (!table) {
    table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = roundToHalf(geluF32(halfToFloat(h)));
  }
  return table;
}

export function geluGgmlInPlace(a: Float32Array): Float32Array {
  const t = geluTable();
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (x <= -10) a[i] = 0;
    else if (x < 10) a[i] = t[floatToHalf(x)];
  }
  return a;
}
