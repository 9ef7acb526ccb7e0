// Shared SIMD helpers. ASC_FEATURE_RELAXED_SIMD is a compile-time constant, so each build keeps one path.

/**
 * Pairwise Σ x·w in i16 lanes (only the total matters). x: signed i8 with |x| <= 127; w: unsigned
 * values below 128, so each lane stays within ±2·127·127. In Node 20's V8 the i16 form maps to one
 * pmaddubsw while i32x4.relaxed_dot_i8x16_i7x16_add_s is about 7x slower, hence this shape.
 */
@inline export function mad16(x: v128, w: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i16x8.relaxed_dot_i8x16_i7x16_s(x, w);
  return i16x8.add(i16x8.extmul_low_i8x16_s(x, w), i16x8.extmul_high_i8x16_s(x, w));
}

/** i16 lanes -> i32 lanes (pairwise sums). */
@inline export function widen(p: v128): v128 {
  return i32x4.extadd_pairwise_i16x8_s(p);
}

/**
 * The same with `ones` = i16x8.splat(1) computed at run time (see onesOf): V8 builds a constant
 * vector again at every use (two instructions), a variable stays in a register (or one memory operand).
 */
@inline export function widen1(p: v128, ones: v128): v128 {
  return i32x4.dot_i16x8_s(p, ones);
}

/** i16x8.splat(1) from a value known to be >= 1 at run time, so no compiler can fold it into a constant. */
@inline export function onesOf(positive: i32): v128 {
  return i16x8.splat(<i16>min(positive, 1));
}

/** Σ x·w of 32 elements as i16x8 partial sums (|lane| <= 4·127·w_max: fine for w < 64). */
@inline export function dot32p(x0: v128, w0: v128, x1: v128, w1: v128): v128 {
  return i16x8.add(mad16(x0, w0), mad16(x1, w1));
}

/** [Σp0, Σp1, Σp2, Σp3] (i32) of four i16x8 vectors whose lanes satisfy 4·|lane| < 32768. */
@inline export function reduce4small(p0: v128, p1: v128, p2: v128, p3: v128, ones: v128): v128 {
  const a = i16x8.add(i32x4.shuffle(p0, p1, 0, 4, 1, 5), i32x4.shuffle(p0, p1, 2, 6, 3, 7));
  const b = i16x8.add(i32x4.shuffle(p2, p3, 0, 4, 1, 5), i32x4.shuffle(p2, p3, 2, 6, 3, 7));
  return widen1(i16x8.add(i64x2.shuffle(a, b, 0, 2), i64x2.shuffle(a, b, 1, 3)), ones);
}

/** Same for lanes with 2·|lane| < 32768. */
@inline export function reduce4(p0: v128, p1: v128, p2: v128, p3: v128, ones: v128): v128 {
  const a = widen1(i16x8.add(i32x4.shuffle(p0, p1, 0, 4, 1, 5), i32x4.shuffle(p0, p1, 2, 6, 3, 7)), ones);
  const b = widen1(i16x8.add(i32x4.shuffle(p2, p3, 0, 4, 1, 5), i32x4.shuffle(p2, p3, 2, 6, 3, 7)), ones);
  return i32x4.add(i64x2.shuffle(a, b, 0, 2), i64x2.shuffle(a, b, 1, 3));
}

/** Σ x·w for two signed i8 vectors (|x| <= 127), exact on every engine: i16 products, pairwise sums. */
@inline export function dotS(x: v128, w: v128, acc: v128): v128 {
  // two products of magnitude <= 127·128 fit in an i16 lane
  const p = i16x8.add(i16x8.extmul_low_i8x16_s(x, w), i16x8.extmul_high_i8x16_s(x, w));
  return i32x4.add(acc, i32x4.extadd_pairwise_i16x8_s(p));
}

/** a·b + c */
@inline export function fma(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** [Σa, Σb, Σc, Σd] of four i32x4 vectors. */
@inline export function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(i32x4.shuffle(a, b, 0, 4, 1, 5), i32x4.shuffle(a, b, 2, 6, 3, 7));
  const cd = i32x4.add(i32x4.shuffle(c, d, 0, 4, 1, 5), i32x4.shuffle(c, d, 2, 6, 3, 7));
  return i32x4.add(i64x2.shuffle(ab, cd, 0, 2), i64x2.shuffle(ab, cd, 1, 3));
}

/** Same for f32x4. */
@inline export function hsum4f(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(i32x4.shuffle(a, b, 0, 4, 1, 5), i32x4.shuffle(a, b, 2, 6, 3, 7));
  const cd = f32x4.add(i32x4.shuffle(c, d, 0, 4, 1, 5), i32x4.shuffle(c, d, 2, 6, 3, 7));
  return f32x4.add(i64x2.shuffle(ab, cd, 0, 2), i64x2.shuffle(ab, cd, 1, 3));
}

@inline export function hsumI(v: v128): i32 {
  const s = i32x4.add(v, i64x2.shuffle(v, v, 1, 0));
  return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1);
}

@inline export function hsumF(v: v128): f32 {
  const s = f32x4.add(v, i64x2.shuffle(v, v, 1, 0));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

@inline export function hmaxF(v: v128): f32 {
  const s = f32x4.max(v, i64x2.shuffle(v, v, 1, 0));
  return max(f32x4.extract_lane(s, 0), f32x4.extract_lane(s, 1));
}

// f16 -> f32 without a table: sign-extend the half into an i32 lane, shift the exponent and mantissa
// into float position (bits 31..28 then all hold the sign; clear 30..28), and the bit pattern is the
// value times 2^-112 — normals and subnormals alike. Multiply by 2^112 to finish.
export const F16_UNBIAS: f32 = 5.192296858534828e33; // 2^112

/** Raw conversion of 4 signed-extended halves in i32 lanes (result = value · 2^-112). */
@inline export function f16raw(h: v128): v128 {
  return v128.and(i32x4.shl(h, 13), i32x4.splat(0x8fffffff));
}

/** Four halves at p -> f32x4. */
@inline export function f16x4(p: usize): v128 {
  return f32x4.mul(f16raw(i32x4.extend_low_i16x8_s(v128.load64_zero(p))), f32x4.splat(F16_UNBIAS));
}

/** One half at p -> f32. */
@inline export function f16(p: usize): f32 {
  const h = <i32>load<i16>(p);
  return reinterpret<f32>((h << 13) & 0x8fffffff) * F16_UNBIAS;
}

