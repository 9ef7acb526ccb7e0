import { hmaxF, hsumI } from "./simd";

// Activation quantizers: each row of x (f32) becomes int8 with one f32 scale per block, like
// llama.cpp's q8_0 (32-element blocks) and q8_K (256-element super-blocks), in our own layout:
//   xq: i8 [n][cols]          xd: f32 [n][blocks]
//   q8_32 also writes xi: i32 [n][blocks] = Σq per block (for the offset / min terms of Q4/Q5),
//   q8_K also writes xb: i16 [n][blocks][16] = Σq per 16 elements (for K-quant mins and offsets).

/** Quantizes 4 f32x4 vectors at p with factor id, stores 16 i8 at dst, returns their i32 lane sums. */
@inline function q16(p: usize, id: v128, dst: usize): v128 {
  const a = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p), id)));
  const b = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p, 16), id)));
  const c = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p, 32), id)));
  const d = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p, 48), id)));
  v128.store(dst, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(a, b), i16x8.narrow_i32x4_s(c, d)));
  return i32x4.add(i32x4.add(a, b), i32x4.add(c, d));
}

@inline function absmax16(p: usize, m: v128): v128 {
  m = f32x4.max(m, f32x4.abs(v128.load(p)));
  m = f32x4.max(m, f32x4.abs(v128.load(p, 16)));
  m = f32x4.max(m, f32x4.abs(v128.load(p, 32)));
  return f32x4.max(m, f32x4.abs(v128.load(p, 48)));
}

/** Rows t0..t1 of x [n][cols]. */
export function quant_q8_32(x: usize, cols: i32, xq: usize, xd: usize, xi: usize, t0: i32, t1: i32): void {
  const nb = cols >> 5;
  for (let t = t0; t < t1; t++) {
    for (let b = 0; b < nb; b++) {
      const p = x + ((<usize>(t * cols + b * 32)) << 2);
      const amax = hmaxF(absmax16(p + 64, absmax16(p, f32x4.splat(0))));
      const d = amax / 127;
      const id = f32x4.splat(amax > 0 ? 127 / amax : 0);
      const o = <usize>(t * nb + b);
      const dst = xq + <usize>(t * cols + b * 32);
      const s = i32x4.add(q16(p, id, dst), q16(p + 64, id, dst + 16));
      store<f32>(xd + (o << 2), d);
      store<i32>(xi + (o << 2), hsumI(s));
    }
  }
}

/** Rows t0..t1 of x [n][cols]. */
export function quant_q8_k(x: usize, cols: i32, xq: usize, xd: usize, xb: usize, t0: i32, t1: i32): void {
  const nsb = cols >> 8;
  for (let t = t0; t < t1; t++) {
    for (let b = 0; b < nsb; b++) {
      const p = x + ((<usize>(t * cols + b * 256)) << 2);
      let m = f32x4.splat(0);
      for (let k = 0; k < 16; k++) m = absmax16(p + (<usize>k << 6), m);
      const amax = hmaxF(m);
      const d = amax / 127;
      const id = f32x4.splat(amax > 0 ? 127 / amax : 0);
      const o = <usize>(t * nsb + b);
      const dst = xq + <usize>(t * cols + b * 256);
      for (let k = 0; k < 16; k++) {
        const s = q16(p + (<usize>k << 6), id, dst + (<usize>k << 4));
        store<i16>(xb + (o << 5) + (<usize>k << 1), <i16>hsumI(s));
      }
      store<f32>(xd + (o << 2), d);
    }
  }
}

/**
 * Rows t0..t1 of x [n][cols] to q7_32 (mm-q8-u7.ts): per 32-element block d = amax / 63, q = round(x / d)
 * in [-63, 63], stored as the unsigned byte q + 64. xi is not written.
 */
export function quant_q7_32(x: usize, cols: i32, xq: usize, xd: usize, xi: usize, t0: i32, t1: i32): void {
  const nb = cols >> 5;
  const off = i8x16.splat(64);
  for (let t = t0; t < t1; t++) {
    for (let b = 0; b < nb; b++) {
      const p = x + ((<usize>(t * cols + b * 32)) << 2);
      const amax = hmaxF(absmax16(p + 64, absmax16(p, f32x4.splat(0))));
      const id = f32x4.splat(amax > 0 ? 63 / amax : 0);
      const dst = xq + <usize>(t * cols + b * 32);
      q16(p, id, dst);
      q16(p + 64, id, dst + 16);
      v128.store(dst, i8x16.add(v128.load(dst), off));
      v128.store(dst + 16, i8x16.add(v128.load(dst + 16), off));
      store<f32>(xd + (<usize>(t * nb + b) << 2), amax / 63);
    }
  }
}
