import { KIND_Q4_0, KIND_Q5_0, KIND_Q8_0, blockBytes, hasHigh, hasMin, quantBytes, KIND_Q4_1, KIND_Q5_1 } from "./repack";
import { dot32p, dotS, f16, f16x4, fma, hsum4, hsum4f, hsumF, hsumI, mad16, onesOf, reduce4, reduce4small, widen, widen1 } from "./simd";

// y[t, r] = Σ_c x[t, c] · W[r, c] for the 32-element block types (rows repacked, see repack.ts) against
// q8_32 activations (quantize.ts): integer dot products per block, one f32 multiply-add per block.
// Weight rows are the outer loop (each row read from memory once); activation rows go four at a time
// so the unpacked weights are reused from registers, and the remainder one at a time. Rows come in
// blocks of `rb` so a weight block and four activation rows stay in L1 together.

/** Σ x·w over 16 bytes of Q8_0 given a = |w| and m = (w < 0): (x ^ m) - m negates x where w < 0. */
@inline function q8half(x: v128, a: v128, m: v128, ones: v128): v128 {
  return widen1(mad16(i8x16.sub(v128.xor(x, m), m), a), ones);
}

/**
 * One activation row (x, its scales xdp and block sums xip) against 4 unpacked blocks: l/h are the
 * first/second 16 weights of each block (unsigned values, or |w| for relaxed Q8_0 with sign masks
 * sl/sh; raw signed bytes for exact Q8_0). Returns acc + the 4 per-block scaled dot products.
 */
@inline function group(kind: i32, x: usize, xdp: usize, xip: usize,
  l0: v128, h0: v128, l1: v128, h1: v128, l2: v128, h2: v128, l3: v128, h3: v128,
  sl0: v128, sh0: v128, sl1: v128, sh1: v128, sl2: v128, sh2: v128, sl3: v128, sh3: v128,
  dw: v128, mw: v128, ones: v128, acc: v128): v128 {
  let s: v128;
  if (kind == KIND_Q8_0 && ASC_FEATURE_RELAXED_SIMD) {
    const d0 = i32x4.add(q8half(v128.load(x), l0, sl0, ones), q8half(v128.load(x, 16), h0, sh0, ones));
    const d1 = i32x4.add(q8half(v128.load(x, 32), l1, sl1, ones), q8half(v128.load(x, 48), h1, sh1, ones));
    const d2 = i32x4.add(q8half(v128.load(x, 64), l2, sl2, ones), q8half(v128.load(x, 80), h2, sh2, ones));
    const d3 = i32x4.add(q8half(v128.load(x, 96), l3, sl3, ones), q8half(v128.load(x, 112), h3, sh3, ones));
    s = hsum4(d0, d1, d2, d3);
  } else if (kind == KIND_Q8_0) {
    const z = i32x4.splat(0);
    const d0 = dotS(v128.load(x, 16), h0, dotS(v128.load(x), l0, z));
    const d1 = dotS(v128.load(x, 48), h1, dotS(v128.load(x, 32), l1, z));
    const d2 = dotS(v128.load(x, 80), h2, dotS(v128.load(x, 64), l2, z));
    const d3 = dotS(v128.load(x, 112), h3, dotS(v128.load(x, 96), l3, z));
    s = hsum4(d0, d1, d2, d3);
  } else {
    const p0 = dot32p(v128.load(x), l0, v128.load(x, 16), h0);
    const p1 = dot32p(v128.load(x, 32), l1, v128.load(x, 48), h1);
    const p2 = dot32p(v128.load(x, 64), l2, v128.load(x, 80), h2);
    const p3 = dot32p(v128.load(x, 96), l3, v128.load(x, 112), h3);
    // 4-bit weights: lanes <= 4·127·15, so the whole tree stays in i16
    s = hasHigh(kind) ? reduce4(p0, p1, p2, p3, ones) : reduce4small(p0, p1, p2, p3, ones);
  }
  const xd = v128.load(xdp);
  if (kind == KIND_Q4_0) s = i32x4.sub(s, i32x4.shl(v128.load(xip), 3)); // q - 8
  if (kind == KIND_Q5_0) s = i32x4.sub(s, i32x4.shl(v128.load(xip), 4)); // q - 16
  acc = fma(f32x4.convert_i32x4_s(s), f32x4.mul(dw, xd), acc);
  if (hasMin(kind)) acc = fma(mw, f32x4.mul(xd, f32x4.convert_i32x4_s(v128.load(xip))), acc);
  return acc;
}

/** Bit 4 of byte j = bit (j + 16·second) of qh: the high bits of 16 elements from ggml's u32. */
@inline function high16(qh: u32, second: bool): v128 {
  const v = i32x4.splat(qh);
  const sel = second
    ? i8x16.swizzle(v, i8x16(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3))
    : i8x16.swizzle(v, i8x16(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
  const bits = i8x16(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
  return v128.and(i8x16.eq(v128.and(sel, bits), bits), i8x16.splat(0x10));
}

/** Blocks b0..nb-1 of one weight row (fewer than 4) against one activation row. */
@inline function tail(kind: i32, dp: usize, mp: usize, hp: usize, qp: usize, b0: i32, nb: i32,
  x: usize, xd: usize, xi: usize): f32 {
  let y: f32 = 0;
  const m4 = i8x16.splat(0x0f);
  const z = i32x4.splat(0);
  for (let b = b0; b < nb; b++) {
    const xb = x + (<usize>b << 5);
    let d: v128;
    if (kind == KIND_Q8_0) {
      const q = qp + (<usize>b << 5);
      d = dotS(v128.load(xb, 16), v128.load(q, 16), dotS(v128.load(xb), v128.load(q), z));
    } else {
      const q = v128.load(qp + (<usize>b << 4));
      let lo = v128.and(q, m4);
      let hi = v128.and(i16x8.shr_u(q, 4), m4);
      if (hasHigh(kind)) {
        const qh = load<u32>(hp + (<usize>b << 2));
        lo = v128.or(lo, high16(qh, false));
        hi = v128.or(hi, high16(qh, true));
      }
      d = widen(dot32p(v128.load(xb), lo, v128.load(xb, 16), hi));
    }
    let s = hsumI(d);
    const isum = load<i32>(xi + (<usize>b << 2));
    if (kind == KIND_Q4_0) s -= isum << 3;
    if (kind == KIND_Q5_0) s -= isum << 4;
    const xs = load<f32>(xd + (<usize>b << 2));
    y += <f32>s * f16(dp + (<usize>b << 1)) * xs;
    if (hasMin(kind)) y += f16(mp + (<usize>b << 1)) * xs * <f32>isum;
  }
  return y;
}

/** Weight row `row` against activation rows t..t+3 (four) or t (one); writes y[t.., r]. */
@inline function rowDot(kind: i32, four: bool, row: usize, nb: i32, xq: usize, xd: usize, xi: usize,
  t: i32, y: usize, ldy: i32, r: i32): void {
  const cols = <usize>nb << 5;
  const xdRow = <usize>nb << 2; // bytes per activation row in xd / xi
  const mOff = <usize>nb << 1;
  const hOff = mOff + (hasMin(kind) ? <usize>nb << 1 : 0);
  const qOff = hOff + (hasHigh(kind) ? <usize>nb << 2 : 0);
  const qb = <usize>quantBytes(kind);
  const dp = row, mp = row + mOff, hp = row + hOff, qp = row + qOff;
  const full = nb & ~3;
  const m4 = i8x16.splat(0x0f);
  const m10 = i8x16.splat(0x10);
  const z8 = i8x16.splat(0);
  const ones = onesOf(nb);
  const x0 = xq + <usize>t * cols;
  const d0 = xd + <usize>t * xdRow;
  const i0 = xi + <usize>t * xdRow;
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  const yo = y + ((<usize>t * <usize>ldy + <usize>r) << 2);
  for (let b = 0; b < full; b += 4) {
    let l0: v128, h0: v128, l1: v128, h1: v128, l2: v128, h2: v128, l3: v128, h3: v128;
    let sl0 = z8, sh0 = z8, sl1 = z8, sh1 = z8, sl2 = z8, sh2 = z8, sl3 = z8, sh3 = z8;
    const q = qp + <usize>b * qb;
    if (kind == KIND_Q8_0) {
      l0 = v128.load(q); h0 = v128.load(q, 16); l1 = v128.load(q, 32); h1 = v128.load(q, 48);
      l2 = v128.load(q, 64); h2 = v128.load(q, 80); l3 = v128.load(q, 96); h3 = v128.load(q, 112);
      if (ASC_FEATURE_RELAXED_SIMD) {
        sl0 = i8x16.lt_s(l0, z8); sh0 = i8x16.lt_s(h0, z8); sl1 = i8x16.lt_s(l1, z8); sh1 = i8x16.lt_s(h1, z8);
        sl2 = i8x16.lt_s(l2, z8); sh2 = i8x16.lt_s(h2, z8); sl3 = i8x16.lt_s(l3, z8); sh3 = i8x16.lt_s(h3, z8);
        l0 = i8x16.abs(l0); h0 = i8x16.abs(h0); l1 = i8x16.abs(l1); h1 = i8x16.abs(h1);
        l2 = i8x16.abs(l2); h2 = i8x16.abs(h2); l3 = i8x16.abs(l3); h3 = i8x16.abs(h3);
      }
    } else {
      const q0 = v128.load(q), q1 = v128.load(q, 16), q2 = v128.load(q, 32), q3 = v128.load(q, 48);
      l0 = v128.and(q0, m4); h0 = v128.and(i16x8.shr_u(q0, 4), m4);
      l1 = v128.and(q1, m4); h1 = v128.and(i16x8.shr_u(q1, 4), m4);
      l2 = v128.and(q2, m4); h2 = v128.and(i16x8.shr_u(q2, 4), m4);
      l3 = v128.and(q3, m4); h3 = v128.and(i16x8.shr_u(q3, 4), m4);
      if (hasHigh(kind)) {
        // see repack.ts: bit h of byte j is the high bit of element j of half-block h
        const H = v128.load(hp + (<usize>b << 2));
        l0 = v128.or(l0, v128.and(i16x8.shl(H, 4), m10)); h0 = v128.or(h0, v128.and(i16x8.shl(H, 3), m10));
        l1 = v128.or(l1, v128.and(i16x8.shl(H, 2), m10)); h1 = v128.or(h1, v128.and(i16x8.shl(H, 1), m10));
        l2 = v128.or(l2, v128.and(H, m10)); h2 = v128.or(h2, v128.and(i16x8.shr_u(H, 1), m10));
        l3 = v128.or(l3, v128.and(i16x8.shr_u(H, 2), m10)); h3 = v128.or(h3, v128.and(i16x8.shr_u(H, 3), m10));
      }
    }
    const dw = f16x4(dp + (<usize>b << 1));
    const mw = hasMin(kind) ? f16x4(mp + (<usize>b << 1)) : dw;
    const xo = <usize>b << 5, so = <usize>b << 2;
    a0 = group(kind, x0 + xo, d0 + so, i0 + so, l0, h0, l1, h1, l2, h2, l3, h3,
      sl0, sh0, sl1, sh1, sl2, sh2, sl3, sh3, dw, mw, ones, a0);
    if (four) {
      // The stores of a lane into y (overwritten at the end) fence each row's loads: without them V8
      // hoists all 32 activation loads of the four rows to the top and spills.
      store<f32>(yo, f32x4.extract_lane(a0, 0));
      a1 = group(kind, x0 + cols + xo, d0 + xdRow + so, i0 + xdRow + so, l0, h0, l1, h1, l2, h2, l3, h3,
        sl0, sh0, sl1, sh1, sl2, sh2, sl3, sh3, dw, mw, ones, a1);
      store<f32>(yo, f32x4.extract_lane(a1, 0));
      a2 = group(kind, x0 + 2 * cols + xo, d0 + 2 * xdRow + so, i0 + 2 * xdRow + so, l0, h0, l1, h1, l2, h2, l3, h3,
        sl0, sh0, sl1, sh1, sl2, sh2, sl3, sh3, dw, mw, ones, a2);
      store<f32>(yo, f32x4.extract_lane(a2, 0));
      a3 = group(kind, x0 + 3 * cols + xo, d0 + 3 * xdRow + so, i0 + 3 * xdRow + so, l0, h0, l1, h1, l2, h2, l3, h3,
        sl0, sh0, sl1, sh1, sl2, sh2, sl3, sh3, dw, mw, ones, a3);
    }
  }
  if (four) {
    const s = hsum4f(a0, a1, a2, a3);
    const ys = <usize>ldy << 2;
    let y0 = f32x4.extract_lane(s, 0), y1 = f32x4.extract_lane(s, 1);
    let y2 = f32x4.extract_lane(s, 2), y3 = f32x4.extract_lane(s, 3);
    if (full < nb) {
      y0 += tail(kind, dp, mp, hp, qp, full, nb, x0, d0, i0);
      y1 += tail(kind, dp, mp, hp, qp, full, nb, x0 + cols, d0 + xdRow, i0 + xdRow);
      y2 += tail(kind, dp, mp, hp, qp, full, nb, x0 + 2 * cols, d0 + 2 * xdRow, i0 + 2 * xdRow);
      y3 += tail(kind, dp, mp, hp, qp, full, nb, x0 + 3 * cols, d0 + 3 * xdRow, i0 + 3 * xdRow);
    }
    store<f32>(yo, y0);
    store<f32>(yo + ys, y1);
    store<f32>(yo + 2 * ys, y2);
    store<f32>(yo + 3 * ys, y3);
  } else {
    let s = hsumF(a0);
    if (full < nb) s += tail(kind, dp, mp, hp, qp, full, nb, x0, d0, i0);
    store<f32>(yo, s);
  }
}

@inline function mm32(kind: i32, w: usize, nb: i32, xq: usize, xd: usize, xi: usize, n: i32,
  y: usize, ldy: i32, r0: i32, r1: i32): void {
  const rowBytes = <usize>nb * <usize>blockBytes(kind);
  const rb = <i32>min(16, max(1, 24576 / <i32>rowBytes));
  const n4 = n & ~3;
  for (let rs = r0; rs < r1; rs += rb) {
    const re = min(rs + rb, r1);
    for (let t = 0; t < n4; t += 4) {
      for (let r = rs; r < re; r++) rowDot(kind, true, w + <usize>r * rowBytes, nb, xq, xd, xi, t, y, ldy, r);
    }
    for (let t = n4; t < n; t++) {
      for (let r = rs; r < re; r++) rowDot(kind, false, w + <usize>r * rowBytes, nb, xq, xd, xi, t, y, ldy, r);
    }
  }
}

export function mm_q4_0(w: usize, nb: i32, xq: usize, xd: usize, xi: usize, n: i32, y: usize, ldy: i32, r0: i32, r1: i32): void {
  mm32(KIND_Q4_0, w, nb, xq, xd, xi, n, y, ldy, r0, r1);
}
export function mm_q4_1(w: usize, nb: i32, xq: usize, xd: usize, xi: usize, n: i32, y: usize, ldy: i32, r0: i32, r1: i32): void {
  mm32(KIND_Q4_1, w, nb, xq, xd, xi, n, y, ldy, r0, r1);
}
export function mm_q5_0(w: usize, nb: i32, xq: usize, xd: usize, xi: usize, n: i32, y: usize, ldy: i32, r0: i32, r1: i32): void {
  mm32(KIND_Q5_0, w, nb, xq, xd, xi, n, y, ldy, r0, r1);
}
export function mm_q5_1(w: usize, nb: i32, xq: usize, xd: usize, xi: usize, n: i32, y: usize, ldy: i32, r0: i32, r1: i32): void {
  mm32(KIND_Q5_1, w, nb, xq, xd, xi, n, y, ldy, r0, r1);
}
export function mm_q8_0(w: usize, nb: i32, xq: usize, xd: usize, xi: usize, n: i32, y: usize, ldy: i32, r0: i32, r1: i32): void {
  mm32(KIND_Q8_0, w, nb, xq, xd, xi, n, y, ldy, r0, r1);
}
