import { F16_UNBIAS, f16raw, fma, hsum4f, hsumF } from "./simd";

// y[t, r] = Σ_c x[t, c] · W[r, c] in f32 for F32, F16 and BF16 weights. Two weight rows against four
// activation rows per pass (8 independent accumulators); decode streams one row with 4 accumulators.
// F16 weights are converted exactly (see simd.ts); for several activation rows a block of rows is
// converted once into a per-thread f32 buffer and the f32 loops run on it.

export const F32 = 0;
const F16 = 1;
const BF16 = 2;

@inline function esize(kind: i32): usize { return kind == F32 ? 4 : 2; }

/** Elements i..i+3 of the row at p as f32x4. */
@inline function load4(kind: i32, p: usize, i: i32): v128 {
  if (kind == F32) return v128.load(p + (<usize>i << 2));
  const h = v128.load64_zero(p + (<usize>i << 1));
  if (kind == BF16) return i32x4.shl(i32x4.extend_low_i16x8_u(h), 16);
  return f32x4.mul(f16raw(i32x4.extend_low_i16x8_s(h)), f32x4.splat(F16_UNBIAS));
}

@inline function load1(kind: i32, p: usize, i: i32): f32 {
  if (kind == F32) return load<f32>(p + (<usize>i << 2));
  const h = <i32>load<i16>(p + (<usize>i << 1));
  if (kind == BF16) return reinterpret<f32>(h << 16);
  return reinterpret<f32>((h << 13) & 0x8fffffff) * F16_UNBIAS;
}

/** Rows r0..r1 whose data starts at wp (row stride cols elements of `kind`). */
@inline export function rows(kind: i32, wp: usize, cols: i32, x: usize, n: i32, y: usize, ldy: i32, r0: i32, r1: i32): void {
  const rs = <usize>cols * esize(kind);
  const xs = <usize>cols << 2;
  const c4 = cols & ~3;
  const ys = <usize>ldy << 2;
  const n4 = n & ~3;
  for (let t = 0; t < n4; t += 4) {
    const x0 = x + <usize>t * xs, x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs;
    let r = r0;
    for (; r + 2 <= r1; r += 2) {
      const wa = wp + <usize>(r - r0) * rs, wb = wa + rs;
      let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
      for (let c = 0; c < c4; c += 4) {
        const va = load4(kind, wa, c), vb = load4(kind, wb, c);
        const o = <usize>c << 2;
        const v0 = v128.load(x0 + o), v1 = v128.load(x1 + o), v2 = v128.load(x2 + o), v3 = v128.load(x3 + o);
        a0 = fma(va, v0, a0); a1 = fma(va, v1, a1); a2 = fma(va, v2, a2); a3 = fma(va, v3, a3);
        b0 = fma(vb, v0, b0); b1 = fma(vb, v1, b1); b2 = fma(vb, v2, b2); b3 = fma(vb, v3, b3);
      }
      const sa = hsum4f(a0, a1, a2, a3), sb = hsum4f(b0, b1, b2, b3);
      const yo = y + ((<usize>t * <usize>ldy + <usize>r) << 2);
      store<f32>(yo, f32x4.extract_lane(sa, 0)); store<f32>(yo + 4, f32x4.extract_lane(sb, 0));
      store<f32>(yo + ys, f32x4.extract_lane(sa, 1)); store<f32>(yo + ys + 4, f32x4.extract_lane(sb, 1));
      store<f32>(yo + 2 * ys, f32x4.extract_lane(sa, 2)); store<f32>(yo + 2 * ys + 4, f32x4.extract_lane(sb, 2));
      store<f32>(yo + 3 * ys, f32x4.extract_lane(sa, 3)); store<f32>(yo + 3 * ys + 4, f32x4.extract_lane(sb, 3));
      if (c4 < cols) {
        for (let c = c4; c < cols; c++) {
          const ea = load1(kind, wa, c), eb = load1(kind, wb, c);
          const o = <usize>c << 2;
          const e0 = load<f32>(x0 + o), e1 = load<f32>(x1 + o), e2 = load<f32>(x2 + o), e3 = load<f32>(x3 + o);
          store<f32>(yo, load<f32>(yo) + ea * e0); store<f32>(yo + 4, load<f32>(yo + 4) + eb * e0);
          store<f32>(yo + ys, load<f32>(yo + ys) + ea * e1); store<f32>(yo + ys + 4, load<f32>(yo + ys + 4) + eb * e1);
          store<f32>(yo + 2 * ys, load<f32>(yo + 2 * ys) + ea * e2); store<f32>(yo + 2 * ys + 4, load<f32>(yo + 2 * ys + 4) + eb * e2);
          store<f32>(yo + 3 * ys, load<f32>(yo + 3 * ys) + ea * e3); store<f32>(yo + 3 * ys + 4, load<f32>(yo + 3 * ys + 4) + eb * e3);
        }
      }
    }
    for (; r < r1; r++) {
      const wa = wp + <usize>(r - r0) * rs;
      for (let k = 0; k < 4; k++) store<f32>(y + (((<usize>(t + k)) * <usize>ldy + <usize>r) << 2), dot1(kind, wa, x0 + <usize>k * xs, cols));
    }
  }
  for (let t = n4; t < n; t++) {
    const xt = x + <usize>t * xs;
    for (let r = r0; r < r1; r++) {
      store<f32>(y + ((<usize>t * <usize>ldy + <usize>r) << 2), dot1(kind, wp + <usize>(r - r0) * rs, xt, cols));
    }
  }
}

/** One weight row against one activation row, 4 accumulators. */
@inline function dot1(kind: i32, w: usize, x: usize, cols: i32): f32 {
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  let c = 0;
  for (; c + 16 <= cols; c += 16) {
    const o = <usize>c << 2;
    a0 = fma(load4(kind, w, c), v128.load(x + o), a0);
    a1 = fma(load4(kind, w, c + 4), v128.load(x + o, 16), a1);
    a2 = fma(load4(kind, w, c + 8), v128.load(x + o, 32), a2);
    a3 = fma(load4(kind, w, c + 12), v128.load(x + o, 48), a3);
  }
  for (; c + 4 <= cols; c += 4) a0 = fma(load4(kind, w, c), v128.load(x + (<usize>c << 2)), a0);
  let s = hsumF(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  for (; c < cols; c++) s += load1(kind, w, c) * load<f32>(x + (<usize>c << 2));
  return s;
}

/** Converts rows [r0, r1) of an F16/BF16 matrix to f32 at dst. */
@inline function convert(kind: i32, w: usize, cols: i32, r0: i32, r1: i32, dst: usize): void {
  const total = (r1 - r0) * cols;
  const src = w + <usize>r0 * <usize>cols * 2;
  let i = 0;
  for (; i + 4 <= total; i += 4) v128.store(dst + (<usize>i << 2), load4(kind, src, i));
  for (; i < total; i++) store<f32>(dst + (<usize>i << 2), load1(kind, src, i));
}

/** Half-precision weights: direct for a few activation rows, else blocks converted into tmp. */
@inline function mmHalf(kind: i32, w: usize, cols: i32, x: usize, n: i32, y: usize, ldy: i32, r0: i32, r1: i32, tmp: usize, tmpBytes: i32): void {
  const rb = tmpBytes / (cols << 2) & ~1;
  if (n < 8 || rb < 2) {
    rows(kind, w + <usize>r0 * <usize>cols * 2, cols, x, n, y, ldy, r0, r1);
    return;
  }
  for (let rs = r0; rs < r1; rs += rb) {
    const re = min(rs + rb, r1);
    convert(kind, w, cols, rs, re, tmp);
    rows(F32, tmp, cols, x, n, y, ldy, rs, re);
  }
}

export function mm_f32(w: usize, cols: i32, x: usize, n: i32, y: usize, ldy: i32, r0: i32, r1: i32): void {
  const rb = max(2, (24576 / (cols << 2)) & ~1);
  for (let rs = r0; rs < r1; rs += rb) {
    const re = min(rs + rb, r1);
    rows(F32, w + <usize>rs * (<usize>cols << 2), cols, x, n, y, ldy, rs, re);
  }
}

export function mm_f16(w: usize, cols: i32, x: usize, n: i32, y: usize, ldy: i32, r0: i32, r1: i32, tmp: usize, tmpBytes: i32): void {
  mmHalf(F16, w, cols, x, n, y, ldy, r0, r1, tmp, tmpBytes);
}

export function mm_bf16(w: usize, cols: i32, x: usize, n: i32, y: usize, ldy: i32, r0: i32, r1: i32, tmp: usize, tmpBytes: i32): void {
  mmHalf(BF16, w, cols, x, n, y, ldy, r0, r1, tmp, tmpBytes);
}
