import { F32, rows } from "./mm-float";
import { f16 } from "./simd";

// Kernels for products over many activation rows (a vision tower: 1024 patches per crop) and their
// epilogues. Separate from the LLM kernels so each side can be tuned on its own.

/**
 * Rows [r0, r1) of repacked Q8_0 (d[nb] f16 | qs[nb][32] i8, see repack.ts) dequantized to f32 at
 * dst: d·q exactly (an 8-bit integer times an f16 scale is exact in f32), as ggml's to_float.
 */
@inline function convertQ8(w: usize, nb: i32, r0: i32, r1: i32, dst: usize): void {
  const rowBytes = <usize>nb * 34;
  let o = dst;
  for (let r = r0; r < r1; r++) {
    const row = w + <usize>r * rowBytes;
    const qs = row + (<usize>nb << 1);
    for (let b = 0; b < nb; b++) {
      const d = f32x4.splat(f16(row + (<usize>b << 1)));
      const q = qs + (<usize>b << 5);
      for (let k: usize = 0; k < 32; k += 16) {
        const v = v128.load(q + k);
        const lo = i16x8.extend_low_i8x16_s(v), hi = i16x8.extend_high_i8x16_s(v);
        v128.store(o, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(lo)), d));
        v128.store(o, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(lo)), d), 16);
        v128.store(o, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(hi)), d), 32);
        v128.store(o, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(hi)), d), 48);
        o += 64;
      }
    }
  }
}

/**
 * y[t, r] = Σ_c x[t, c] · W[r, c] for repacked Q8_0 weights against f32 activations: blocks of weight
 * rows dequantized into this thread's buffer tmp, then the f32 kernel (mm-float.ts). For many
 * activation rows this runs at the f32 kernel's rate (the conversion is paid once per call) and gives
 * the dequantized weights' exact products, like the reference backend.
 */
export function mm_q8_0_f32(w: usize, cols: i32, x: usize, n: i32, y: usize, ldy: i32, r0: i32, r1: i32, tmp: usize, tmpBytes: i32): void {
  const nb = cols >> 5;
  const rb = max(1, (tmpBytes / (cols << 2)) & ~1);
  for (let rs = r0; rs < r1; rs += rb) {
    const re = min(rs + rb, r1);
    convertQ8(w, nb, rs, re, tmp);
    rows(F32, tmp, cols, x, n, y, ldy, rs, re);
  }
}

/** e^x (Cephes expf polynomial, ~1 ulp) for x clamped to [-87.3, 88]. */
@inline function expv(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.33654)), f32x4.splat(88.0));
  const fx = f32x4.floor(f32x4.add(f32x4.mul(x, f32x4.splat(1.44269504088896341)), f32x4.splat(0.5)));
  x = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(0.693359375)));
  x = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(x, x)), x), f32x4.splat(1));
  const e = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(fx), i32x4.splat(127)), 23);
  return f32x4.mul(p, e);
}

/** gelu_pytorch_tanh(v) = 0.5·v·(1 + tanh(u)) = v / (1 + e^(-2u)), u = √(2/π)·(v + 0.044715·v³). */
@inline function geluv(v: v128): v128 {
  const u = f32x4.mul(f32x4.splat(0.7978845608028654), f32x4.add(v, f32x4.mul(f32x4.splat(0.044715), f32x4.mul(v, f32x4.mul(v, v)))));
  return f32x4.div(v, f32x4.add(f32x4.splat(1), expv(f32x4.mul(u, f32x4.splat(-2)))));
}

@inline function gelu1(v: f32): f32 {
  const u: f32 = 0.7978845608028654 * (v + 0.044715 * v * v * v);
  return v / (1 + <f32>Math.exp(-2 * min<f32>(max<f32>(u, -44), 44)));
}

/** Rows [t0, t1) of y [*, width]: y = gelu_tanh(y + b) (b: width f32, or 0 for none). */
export function bias_gelu(y: usize, width: i32, b: usize, t0: i32, t1: i32): void {
  const w4 = width & ~3;
  for (let t = t0; t < t1; t++) {
    const row = y + ((<usize>t * <usize>width) << 2);
    let c = 0;
    for (; c < w4; c += 4) {
      const p = row + (<usize>c << 2);
      let v = v128.load(p);
      if (b != 0) v = f32x4.add(v, v128.load(b + (<usize>c << 2)));
      v128.store(p, geluv(v));
    }
    for (; c < width; c++) {
      const p = row + (<usize>c << 2);
      store<f32>(p, gelu1(load<f32>(p) + (b != 0 ? load<f32>(b + (<usize>c << 2)) : 0)));
    }
  }
}
