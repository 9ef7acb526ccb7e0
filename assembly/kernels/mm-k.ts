import { f16, fma, hsum4, hsumI, mad16 } from "./simd";

// y[t, r] = Σ_c x[t, c] · W[r, c] for the K-quants (ggml's layout, 256-element super-blocks) against
// q8_K activations (quantize.ts). Sub-block scales are small integers, so each super-block is summed
// in i32 (pmaddwd folds the scale into the widening) and converted to float once. Loop structure as
// in mm-q32.ts: weight rows outer, activation rows four at a time, then one at a time.
//
// Per super-block a helper returns, per activation row t (lane t; lane 0 only for a single row),
// d·Σ sc·dot - dmin·Σ min·bsum (or d·(Σ sc·dot - off·Σ sc·bsum) for the offset types); the caller
// scales by the activation's d.

export const KQ2 = 0;
export const KQ3 = 1;
export const KQ4 = 2;
export const KQ5 = 3;
export const KQ6 = 4;

@inline function kBlockBytes(kind: i32): usize {
  return kind == KQ2 ? 84 : kind == KQ3 ? 110 : kind == KQ4 ? 144 : kind == KQ5 ? 176 : 210;
}

/** acc + Σ x·w over 32 elements (two 16-byte halves) times an integer scale. */
@inline function sdot32(x: usize, wa: v128, wb: v128, sc: v128, acc: v128): v128 {
  const p = i16x8.add(mad16(v128.load(x), wa), mad16(v128.load(x, 16), wb));
  return i32x4.add(acc, i32x4.dot_i16x8_s(p, sc));
}

/** acc + Σ x·w over 16 elements times an integer scale. */
@inline function sdot16(x: usize, w: v128, sc: v128, acc: v128): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(mad16(v128.load(x), w), sc));
}

/** Per-row i32 sums -> lane t (four rows) or lane 0. */
@inline function lanes(four: bool, a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  return four ? hsum4(a0, a1, a2, a3) : i32x4.splat(hsumI(a0));
}

/** Σ over 16 bsums (i16 at xb) times 16 i16 factors f0 (first 8) and f1, as i32x4 partial sums. */
@inline function bdot(xb: usize, f0: v128, f1: v128): v128 {
  return i32x4.add(i32x4.dot_i16x8_s(v128.load(xb), f0), i32x4.dot_i16x8_s(v128.load(xb, 16), f1));
}

// ---- Q4_K / Q5_K: {d, dmin, scales[12], (qh[32]), qs[128]}; 8 sub-blocks of 32, 6-bit scale + min.

@inline function sbQ45(five: bool, four: bool, blk: usize, x0: usize, cols: usize, xb0: usize, xbRow: usize): v128 {
  const d = f16(blk), dmin = f16(blk + 2);
  const s0 = load<u32>(blk, 4), s1 = load<u32>(blk, 8), s2 = load<u32>(blk, 12);
  const scLo = s0 & 0x3f3f3f3f;
  const mnLo = s1 & 0x3f3f3f3f;
  const scHi = (s2 & 0x0f0f0f0f) | ((s0 >> 2) & 0x30303030);
  const mnHi = ((s2 >> 4) & 0x0f0f0f0f) | ((s1 >> 2) & 0x30303030);
  const qs = blk + (five ? 48 : 16);
  const m4 = i8x16.splat(0x0f);
  const m10 = i8x16.splat(0x10);
  let ha = i8x16.splat(0), hb = ha;
  if (five) { ha = v128.load(blk + 16); hb = v128.load(blk + 32); }
  let a0 = i32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  for (let p = 0; p < 4; p++) {
    const qa = v128.load(qs + (<usize>p << 5)), qb = v128.load(qs + (<usize>p << 5), 16);
    let la = v128.and(qa, m4), lb = v128.and(qb, m4);
    let ua = v128.and(i16x8.shr_u(qa, 4), m4), ub = v128.and(i16x8.shr_u(qb, 4), m4);
    if (five) {
      // ha/hb hold qh >> 2p (per byte, in 16-bit lanes): bit 0 is the low nibble's high bit, bit 1 the high nibble's
      la = v128.or(la, v128.and(i16x8.shl(ha, 4), m10)); lb = v128.or(lb, v128.and(i16x8.shl(hb, 4), m10));
      ua = v128.or(ua, v128.and(i16x8.shl(ha, 3), m10)); ub = v128.or(ub, v128.and(i16x8.shl(hb, 3), m10));
      ha = i16x8.shr_u(ha, 2); hb = i16x8.shr_u(hb, 2);
    }
    const scw = p < 2 ? scLo : scHi;
    const sh = (p & 1) << 4;
    const scA = i16x8.splat(<i16>((scw >> sh) & 0xff));
    const scB = i16x8.splat(<i16>((scw >> (sh + 8)) & 0xff));
    const xo = <usize>p << 6;
    a0 = sdot32(x0 + xo + 32, ua, ub, scB, sdot32(x0 + xo, la, lb, scA, a0));
    if (four) {
      a1 = sdot32(x0 + cols + xo + 32, ua, ub, scB, sdot32(x0 + cols + xo, la, lb, scA, a1));
      a2 = sdot32(x0 + 2 * cols + xo + 32, ua, ub, scB, sdot32(x0 + 2 * cols + xo, la, lb, scA, a2));
      a3 = sdot32(x0 + 3 * cols + xo + 32, ua, ub, scB, sdot32(x0 + 3 * cols + xo, la, lb, scA, a3));
    }
  }
  // mins: Σ_j m_j (bsum[2j] + bsum[2j+1]) with m as i16 pairs [m0 m0 m1 m1 ...]
  const pairs = i8x16(0, -1, 0, -1, 1, -1, 1, -1, 2, -1, 2, -1, 3, -1, 3, -1);
  const M0 = i8x16.swizzle(i32x4.splat(mnLo), pairs);
  const M1 = i8x16.swizzle(i32x4.splat(mnHi), pairs);
  let b0 = bdot(xb0, M0, M1), b1 = b0, b2 = b0, b3 = b0;
  if (four) { b1 = bdot(xb0 + xbRow, M0, M1); b2 = bdot(xb0 + 2 * xbRow, M0, M1); b3 = bdot(xb0 + 3 * xbRow, M0, M1); }
  const isum = f32x4.convert_i32x4_s(lanes(four, a0, a1, a2, a3));
  const msum = f32x4.convert_i32x4_s(lanes(four, b0, b1, b2, b3));
  return f32x4.sub(f32x4.mul(isum, f32x4.splat(d)), f32x4.mul(msum, f32x4.splat(dmin)));
}

// ---- Q6_K: {ql[128], qh[64], scales i8[16], d}; 16 sub-blocks of 16, values q - 32.

@inline function sbQ6(four: bool, blk: usize, x0: usize, cols: usize, xb0: usize, xbRow: usize): v128 {
  const d = f16(blk + 208);
  const scp = blk + 192;
  const m4 = i8x16.splat(0x0f);
  const m30 = i8x16.splat(0x30);
  let a0 = i32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  for (let hh = 0; hh < 2; hh++) {
    const ql = blk + (<usize>hh << 6), qh = blk + 128 + (<usize>hh << 5);
    for (let v = 0; v < 2; v++) {
      const A = v128.load(ql + (<usize>v << 4)), B = v128.load(ql + 32 + (<usize>v << 4));
      const H = v128.load(qh + (<usize>v << 4));
      const w1 = v128.or(v128.and(A, m4), v128.and(i16x8.shl(H, 4), m30));
      const w2 = v128.or(v128.and(B, m4), v128.and(i16x8.shl(H, 2), m30));
      const w3 = v128.or(v128.and(i16x8.shr_u(A, 4), m4), v128.and(H, m30));
      const w4 = v128.or(v128.and(i16x8.shr_u(B, 4), m4), v128.and(i16x8.shr_u(H, 2), m30));
      const si = scp + (<usize>hh << 3) + <usize>v;
      const c1 = i16x8.splat(<i16>load<i8>(si)), c2 = i16x8.splat(<i16>load<i8>(si, 2));
      const c3 = i16x8.splat(<i16>load<i8>(si, 4)), c4 = i16x8.splat(<i16>load<i8>(si, 6));
      const xo = (<usize>hh << 7) + (<usize>v << 4);
      a0 = sdot16(x0 + xo + 96, w4, c4, sdot16(x0 + xo + 64, w3, c3, sdot16(x0 + xo + 32, w2, c2, sdot16(x0 + xo, w1, c1, a0))));
      if (four) {
        let x = x0 + cols + xo;
        a1 = sdot16(x + 96, w4, c4, sdot16(x + 64, w3, c3, sdot16(x + 32, w2, c2, sdot16(x, w1, c1, a1))));
        x += cols;
        a2 = sdot16(x + 96, w4, c4, sdot16(x + 64, w3, c3, sdot16(x + 32, w2, c2, sdot16(x, w1, c1, a2))));
        x += cols;
        a3 = sdot16(x + 96, w4, c4, sdot16(x + 64, w3, c3, sdot16(x + 32, w2, c2, sdot16(x, w1, c1, a3))));
      }
    }
  }
  // offset: -32 Σ_s sc_s · bsum_s
  const sc = v128.load(scp);
  const S0 = i16x8.extend_low_i8x16_s(sc), S1 = i16x8.extend_high_i8x16_s(sc);
  let b0 = bdot(xb0, S0, S1), b1 = b0, b2 = b0, b3 = b0;
  if (four) { b1 = bdot(xb0 + xbRow, S0, S1); b2 = bdot(xb0 + 2 * xbRow, S0, S1); b3 = bdot(xb0 + 3 * xbRow, S0, S1); }
  const s = i32x4.sub(lanes(four, a0, a1, a2, a3), i32x4.shl(lanes(four, b0, b1, b2, b3), 5));
  return f32x4.mul(f32x4.convert_i32x4_s(s), f32x4.splat(d));
}

// ---- Q3_K: {hmask[32], qs[64], scales[12], d}; 16 sub-blocks of 16, 6-bit scales - 32, values q - 4.

@inline function sbQ3(four: bool, blk: usize, x0: usize, cols: usize, xb0: usize, xbRow: usize): v128 {
  const d = f16(blk + 108);
  const a = load<u32>(blk, 96), b = load<u32>(blk, 100), tmp = load<u32>(blk, 104);
  const S0 = (a & 0x0f0f0f0f) | ((tmp & 0x03030303) << 4);
  const S1 = (b & 0x0f0f0f0f) | (((tmp >> 2) & 0x03030303) << 4);
  const S2 = ((a >> 4) & 0x0f0f0f0f) | (((tmp >> 4) & 0x03030303) << 4);
  const S3 = ((b >> 4) & 0x0f0f0f0f) | (((tmp >> 6) & 0x03030303) << 4);
  // 16 signed scales as bytes, in element order
  const SC = i8x16.sub(i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(S0), 1, S1), 2, S2), 3, S3), i8x16.splat(32));
  const F0 = i16x8.extend_low_i8x16_s(SC), F1 = i16x8.extend_high_i8x16_s(SC);
  const m3 = i8x16.splat(3);
  const m04 = i8x16.splat(4);
  const Hraw_a = v128.load(blk), Hraw_b = v128.load(blk + 16);
  let a0 = i32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  for (let hh = 0; hh < 2; hh++) {
    let Qa = v128.load(blk + 32 + (<usize>hh << 5)), Qb = v128.load(blk + 48 + (<usize>hh << 5));
    // hmask bit 4hh + j must land on bit 2: start at bit 4hh -> 2, then one step right per j
    let Ha = hh == 0 ? i16x8.shl(Hraw_a, 2) : i16x8.shr_u(Hraw_a, 2);
    let Hb = hh == 0 ? i16x8.shl(Hraw_b, 2) : i16x8.shr_u(Hraw_b, 2);
    const S = hh == 0 ? F0 : F1;
    let idx = i16x8.splat(0x0100); // byte pair of i16 lane 0; + 0x0202 moves to the next lane
    for (let j = 0; j < 4; j++) {
      const wa = v128.or(v128.and(Qa, m3), v128.and(Ha, m04));
      const wb = v128.or(v128.and(Qb, m3), v128.and(Hb, m04));
      const ca = i8x16.swizzle(S, idx);
      idx = i16x8.add(idx, i16x8.splat(0x0202));
      const cb = i8x16.swizzle(S, idx);
      idx = i16x8.add(idx, i16x8.splat(0x0202));
      const xo = (<usize>hh << 7) + (<usize>j << 5);
      a0 = sdot16(x0 + xo + 16, wb, cb, sdot16(x0 + xo, wa, ca, a0));
      if (four) {
        let x = x0 + cols + xo;
        a1 = sdot16(x + 16, wb, cb, sdot16(x, wa, ca, a1));
        x += cols;
        a2 = sdot16(x + 16, wb, cb, sdot16(x, wa, ca, a2));
        x += cols;
        a3 = sdot16(x + 16, wb, cb, sdot16(x, wa, ca, a3));
      }
      Qa = i16x8.shr_u(Qa, 2); Qb = i16x8.shr_u(Qb, 2);
      Ha = i16x8.shr_u(Ha, 1); Hb = i16x8.shr_u(Hb, 1);
    }
  }
  let b0 = bdot(xb0, F0, F1), b1 = b0, b2 = b0, b3 = b0;
  if (four) { b1 = bdot(xb0 + xbRow, F0, F1); b2 = bdot(xb0 + 2 * xbRow, F0, F1); b3 = bdot(xb0 + 3 * xbRow, F0, F1); }
  const s = i32x4.sub(lanes(four, a0, a1, a2, a3), i32x4.shl(lanes(four, b0, b1, b2, b3), 2));
  return f32x4.mul(f32x4.convert_i32x4_s(s), f32x4.splat(d));
}

// ---- Q2_K: {scales[16], qs[64], d, dmin}; 16 sub-blocks of 16, 4-bit scale and min, values 0..3.

@inline function sbQ2(four: bool, blk: usize, x0: usize, cols: usize, xb0: usize, xbRow: usize): v128 {
  const d = f16(blk + 80), dmin = f16(blk + 82);
  const m3 = i8x16.splat(3), m4 = i8x16.splat(0x0f);
  const scb = v128.load(blk);
  const scs = v128.and(scb, m4);
  let a0 = i32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  for (let hh = 0; hh < 2; hh++) {
    let Qa = v128.load(blk + 16 + (<usize>hh << 5)), Qb = v128.load(blk + 32 + (<usize>hh << 5));
    const S = hh == 0 ? i16x8.extend_low_i8x16_u(scs) : i16x8.extend_high_i8x16_u(scs);
    let idx = i16x8.splat(0x0100);
    for (let j = 0; j < 4; j++) {
      const wa = v128.and(Qa, m3), wb = v128.and(Qb, m3);
      const ca = i8x16.swizzle(S, idx);
      idx = i16x8.add(idx, i16x8.splat(0x0202));
      const cb = i8x16.swizzle(S, idx);
      idx = i16x8.add(idx, i16x8.splat(0x0202));
      const xo = (<usize>hh << 7) + (<usize>j << 5);
      a0 = sdot16(x0 + xo + 16, wb, cb, sdot16(x0 + xo, wa, ca, a0));
      if (four) {
        let x = x0 + cols + xo;
        a1 = sdot16(x + 16, wb, cb, sdot16(x, wa, ca, a1));
        x += cols;
        a2 = sdot16(x + 16, wb, cb, sdot16(x, wa, ca, a2));
        x += cols;
        a3 = sdot16(x + 16, wb, cb, sdot16(x, wa, ca, a3));
      }
      Qa = i16x8.shr_u(Qa, 2); Qb = i16x8.shr_u(Qb, 2);
    }
  }
  const mb = v128.and(i16x8.shr_u(scb, 4), m4); // the mins (high nibbles)
  const M0 = i16x8.extend_low_i8x16_u(mb), M1 = i16x8.extend_high_i8x16_u(mb);
  let b0 = bdot(xb0, M0, M1), b1 = b0, b2 = b0, b3 = b0;
  if (four) { b1 = bdot(xb0 + xbRow, M0, M1); b2 = bdot(xb0 + 2 * xbRow, M0, M1); b3 = bdot(xb0 + 3 * xbRow, M0, M1); }
  const isum = f32x4.convert_i32x4_s(lanes(four, a0, a1, a2, a3));
  const msum = f32x4.convert_i32x4_s(lanes(four, b0, b1, b2, b3));
  return f32x4.sub(f32x4.mul(isum, f32x4.splat(d)), f32x4.mul(msum, f32x4.splat(dmin)));
}

/** Weight row against activation rows t..t+3 (four) or t (one). */
@inline function rowK(kind: i32, four: bool, row: usize, nsb: i32, xq: usize, xd: usize, xb: usize,
  t: i32, y: usize, ldy: i32, r: i32): void {
  const cols = <usize>nsb << 8;
  const bs = kBlockBytes(kind);
  const xdRow = <usize>nsb << 2;
  const xbRow = <usize>nsb << 5;
  const x0 = xq + <usize>t * cols;
  const xd0 = xd + <usize>t * xdRow;
  const xb0 = xb + <usize>t * xbRow;
  let acc = f32x4.splat(0);
  for (let sb = 0; sb < nsb; sb++) {
    const blk = row + <usize>sb * bs;
    const xo = <usize>sb << 8;
    const bo = <usize>sb << 5;
    let v: v128;
    if (kind == KQ2) v = sbQ2(four, blk, x0 + xo, cols, xb0 + bo, xbRow);
    else if (kind == KQ3) v = sbQ3(four, blk, x0 + xo, cols, xb0 + bo, xbRow);
    else if (kind == KQ4) v = sbQ45(false, four, blk, x0 + xo, cols, xb0 + bo, xbRow);
    else if (kind == KQ5) v = sbQ45(true, four, blk, x0 + xo, cols, xb0 + bo, xbRow);
    else v = sbQ6(four, blk, x0 + xo, cols, xb0 + bo, xbRow);
    // activation scales of this super-block for the 4 rows (lane t)
    const dp = xd0 + (<usize>sb << 2);
    let xs = v128.load32_zero(dp);
    if (four) {
      xs = v128.load32_lane(dp + xdRow, xs, 1);
      xs = v128.load32_lane(dp + 2 * xdRow, xs, 2);
      xs = v128.load32_lane(dp + 3 * xdRow, xs, 3);
    }
    acc = fma(v, xs, acc);
  }
  const yo = y + ((<usize>t * <usize>ldy + <usize>r) << 2);
  store<f32>(yo, f32x4.extract_lane(acc, 0));
  if (four) {
    const ys = <usize>ldy << 2;
    store<f32>(yo + ys, f32x4.extract_lane(acc, 1));
    store<f32>(yo + 2 * ys, f32x4.extract_lane(acc, 2));
    store<f32>(yo + 3 * ys, f32x4.extract_lane(acc, 3));
  }
}

@inline function mmK(kind: i32, w: usize, nsb: i32, xq: usize, xd: usize, xb: usize, n: i32,
  y: usize, ldy: i32, r0: i32, r1: i32): void {
  const rowBytes = <usize>nsb * kBlockBytes(kind);
  const rb = <i32>min(16, max(1, 24576 / <i32>rowBytes));
  const n4 = n & ~3;
  for (let rs = r0; rs < r1; rs += rb) {
    const re = min(rs + rb, r1);
    for (let t = 0; t < n4; t += 4) {
      for (let r = rs; r < re; r++) rowK(kind, true, w + <usize>r * rowBytes, nsb, xq, xd, xb, t, y, ldy, r);
    }
    for (let t = n4; t < n; t++) {
      for (let r = rs; r < re; r++) rowK(kind, false, w + <usize>r * rowBytes, nsb, xq, xd, xb, t, y, ldy, r);
    }
  }
}

export function mm_q2_k(w: usize, nsb: i32, xq: usize, xd: usize, xb: usize, n: i32, y: usize, ldy: i32, r0: i32, r1: i32): void {
  mmK(KQ2, w, nsb, xq, xd, xb, n, y, ldy, r0, r1);
}
export function mm_q3_k(w: usize, nsb: i32, xq: usize, xd: usize, xb: usize, n: i32, y: usize, ldy: i32, r0: i32, r1: i32): void {
  mmK(KQ3, w, nsb, xq, xd, xb, n, y, ldy, r0, r1);
}
export function mm_q5_k(w: usize, nsb: i32, xq: usize, xd: usize, xb: usize, n: i32, y: usize, ldy: i32, r0: i32, r1: i32): void {
  mmK(KQ5, w, nsb, xq, xd, xb, n, y, ldy, r0, r1);
}
export function mm_q6_k(w: usize, nsb: i32, xq: usize, xd: usize, xb: usize, n: i32, y: usize, ldy: i32, r0: i32, r1: i32): void {
  mmK(KQ6, w, nsb, xq, xd, xb, n, y, ldy, r0, r1);
}
