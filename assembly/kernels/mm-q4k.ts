import { F16_UNBIAS, f16, f16raw, fma, hsum4, hsum4f, hsumF } from "./simd";

// Q4_K against q8_K4 activations with the quants of each super-block interleaved by sub-block
// (repack_q4_k below, done once after loading): in every 16-byte vector of quants, byte pair k
// (one i16 lane of a pairwise dot product) holds 4 values of sub-block k. So one pairwise byte dot
// per vector gives i16 lanes that each belong to one sub-block, several vectors add up in i16, and
// one i32x4.dot_i16x8_s against the 8 sub-block scales finishes the super-block: no per-sub-block
// scale broadcasts. The activations are quantized in the same order (quant_q8_k4).
//
// Super-block (144 bytes, size unchanged): d f16, dmin f16, scales[12] (ggml's 6-bit packing), then
// 8 vectors of 16 bytes: vector i, byte 2k + b: low nibble = element 4i + b of sub-block k, high
// nibble = element 4i + 2 + b. Activation super-block: 16 chunks of 16 bytes, chunk c byte 2k + b =
// x[32k + 2c + b] (low nibbles of vector i pair with chunk 2i, high nibbles with chunk 2i + 1).
//   xq: i8 [n][cols]   xd: f32 [n][nsb]   xb: i16 [n][nsb][8] = Σq per sub-block of 32
// Prefill takes activation rows 4 at a time, and their rows are interleaved too (every full group
// 4g..4g+3 of the n rows; the last n % 4 stay plain): in group g, chunk c of super-block sb of row j
// is at xq + 4g·cols + (16·sb + c)·64 + 16j, and its xd / xb entries are number 4g·nsb + 4·sb + j.
// One pointer then walks all four rows (V8 keeps each pointer in its own register and bumps it:
// 5 bumps per weight vector became 2), and the 4 rows' xd are one load (row4 before: 80-83 GFLOP/s,
// 88-91 after, micro-bench 4096², n = 64, 1 thread).
//
// Rows are also interleaved in groups of 4 (every full group 4g..4g+3; the last rows % 4 rows stay
// plain): super-block sb of row 4g + j lives at w + 4g·rowBytes + (4·sb + j)·144. Decode reads the 4
// rows of a group together, and as one sequential stream it ran at 6.3-6.6 GB/s against 5.6-5.9 for four
// short streams rowBytes apart (the hardware prefetcher restarts on each). Work is split by rows in
// multiples of 4 (16 in matmul.ts), so in a call over [r0, r1) the rows below r1 & ~3 are grouped.

const BS: usize = 144;
const GROUP_STRIDE: usize = 4 * BS;

/** Σ over adjacent byte pairs (i16 lanes) of x·w, w unsigned < 16. */
@inline function pd(x: v128, w: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i16x8.relaxed_dot_i8x16_i7x16_s(x, w);
  const lo = i16x8.extmul_low_i8x16_s(x, w), hi = i16x8.extmul_high_i8x16_s(x, w);
  return i16x8.add(v128.shuffle<i16>(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14), v128.shuffle<i16>(lo, hi, 1, 3, 5, 7, 9, 11, 13, 15));
}

/** The 8 scales (bytes 0..7) and 8 mins (bytes 8..15) of a super-block as u8. */
@inline function scaleBytes(blk: usize): v128 {
  const s0 = load<u32>(blk, 4), s1 = load<u32>(blk, 8), s2 = load<u32>(blk, 12);
  const scLo = s0 & 0x3f3f3f3f;
  const mnLo = s1 & 0x3f3f3f3f;
  const scHi = (s2 & 0x0f0f0f0f) | ((s0 >> 2) & 0x30303030);
  const mnHi = ((s2 >> 4) & 0x0f0f0f0f) | ((s1 >> 2) & 0x30303030);
  return i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(scLo), 1, scHi), 2, mnLo), 3, mnHi);
}

/** Σ_k sc_k · dot_k (i32 lanes to be summed) of one super-block at blk against activation chunk base x. */
@inline function sbDot(blk: usize, x: usize, S: v128): v128 {
  const m4 = i8x16.splat(0x0f);
  const q = blk + 16;
  let a = i16x8.splat(0), b = a;
  for (let i = 0; i < 4; i++) {
    const v = v128.load(q + (<usize>i << 4));
    const xo = x + (<usize>i << 5);
    a = i16x8.add(a, i16x8.add(pd(v128.load(xo), v128.and(v, m4)), pd(v128.load(xo, 16), v128.and(i16x8.shr_u(v, 4), m4))));
  }
  for (let i = 4; i < 8; i++) {
    const v = v128.load(q + (<usize>i << 4));
    const xo = x + (<usize>i << 5);
    b = i16x8.add(b, i16x8.add(pd(v128.load(xo), v128.and(v, m4)), pd(v128.load(xo, 16), v128.and(i16x8.shr_u(v, 4), m4))));
  }
  // each lane <= 4 · 2 · 2 · 15 · 127 < 32768
  return i32x4.add(i32x4.dot_i16x8_s(a, S), i32x4.dot_i16x8_s(b, S));
}

/** One weight row against one activation row. */
@inline function row1(row: usize, nsb: i32, x: usize, xd: usize, xb: usize): f32 {
  let fa = f32x4.splat(0), fm = fa;
  for (let sb = 0; sb < nsb; sb++) {
    const blk = row + <usize>sb * BS;
    const sm = scaleBytes(blk);
    const S = i16x8.extend_low_i8x16_u(sm), M = i16x8.extend_high_i8x16_u(sm);
    const isum = sbDot(blk, x + (<usize>sb << 8), S);
    const msum = i32x4.dot_i16x8_s(v128.load(xb + (<usize>sb << 4)), M);
    const xs = load<f32>(xd + (<usize>sb << 2));
    fa = fma(f32x4.convert_i32x4_s(isum), f32x4.splat(f16(blk) * xs), fa);
    fm = fma(f32x4.convert_i32x4_s(msum), f32x4.splat(f16(blk + 2) * xs), fm);
  }
  return hsumF(f32x4.sub(fa, fm));
}

/** Weight rows `row` and `row + rowBytes` against one activation row: [y0, y1] in lanes 0, 1. */
@inline function row2(row: usize, rowBytes: usize, nsb: i32, x: usize, xd: usize, xb: usize): v128 {
  const m4 = i8x16.splat(0x0f);
  let fa = f32x4.splat(0), fm = fa, ga = fa, gm = fa;
  for (let sb = 0; sb < nsb; sb++) {
    const blk = row + <usize>sb * BS, blk2 = blk + rowBytes;
    const xs = x + (<usize>sb << 8);
    let a = i16x8.splat(0), b = a, c = a, d = a;
    for (let i = 0; i < 4; i++) {
      const v = v128.load(blk + 16 + (<usize>i << 4)), u = v128.load(blk2 + 16 + (<usize>i << 4));
      const xa = v128.load(xs + (<usize>i << 5)), xc = v128.load(xs + (<usize>i << 5), 16);
      a = i16x8.add(a, i16x8.add(pd(xa, v128.and(v, m4)), pd(xc, v128.and(i16x8.shr_u(v, 4), m4))));
      c = i16x8.add(c, i16x8.add(pd(xa, v128.and(u, m4)), pd(xc, v128.and(i16x8.shr_u(u, 4), m4))));
    }
    for (let i = 4; i < 8; i++) {
      const v = v128.load(blk + 16 + (<usize>i << 4)), u = v128.load(blk2 + 16 + (<usize>i << 4));
      const xa = v128.load(xs + (<usize>i << 5)), xc = v128.load(xs + (<usize>i << 5), 16);
      b = i16x8.add(b, i16x8.add(pd(xa, v128.and(v, m4)), pd(xc, v128.and(i16x8.shr_u(v, 4), m4))));
      d = i16x8.add(d, i16x8.add(pd(xa, v128.and(u, m4)), pd(xc, v128.and(i16x8.shr_u(u, 4), m4))));
    }
    const sm = scaleBytes(blk), sm2 = scaleBytes(blk2);
    const S = i16x8.extend_low_i8x16_u(sm), M = i16x8.extend_high_i8x16_u(sm);
    const S2 = i16x8.extend_low_i8x16_u(sm2), M2 = i16x8.extend_high_i8x16_u(sm2);
    const bs = v128.load(xb + (<usize>sb << 4));
    const xsc = load<f32>(xd + (<usize>sb << 2));
    fa = fma(f32x4.convert_i32x4_s(i32x4.add(i32x4.dot_i16x8_s(a, S), i32x4.dot_i16x8_s(b, S))), f32x4.splat(f16(blk) * xsc), fa);
    fm = fma(f32x4.convert_i32x4_s(i32x4.dot_i16x8_s(bs, M)), f32x4.splat(f16(blk + 2) * xsc), fm);
    ga = fma(f32x4.convert_i32x4_s(i32x4.add(i32x4.dot_i16x8_s(c, S2), i32x4.dot_i16x8_s(d, S2))), f32x4.splat(f16(blk2) * xsc), ga);
    gm = fma(f32x4.convert_i32x4_s(i32x4.dot_i16x8_s(bs, M2)), f32x4.splat(f16(blk2 + 2) * xsc), gm);
  }
  const z = f32x4.splat(0);
  return hsum4f(f32x4.sub(fa, fm), f32x4.sub(ga, gm), z, z);
}

/**
 * Σ_k sc_k · dot_k over quant vectors 0..3 (q = the group's first row's vector 0) or 4..7 of one
 * super-block of a group of 4 rows (144 bytes apart) against activation chunks at xs; lane j = row j.
 * Rows at constant offsets and bumped pointers: V8 otherwise recomputes each address every step.
 */
@inline function half4(q: usize, xs: usize, S0: v128, S1: v128, S2: v128, S3: v128): v128 {
  const m4 = i8x16.splat(0x0f);
  let a = i16x8.splat(0), b = a, c = a, d = a;
  const end = q + 64;
  for (; q < end; q += 16) {
    const xa = v128.load(xs), xc = v128.load(xs, 16);
    let v = v128.load(q);
    a = i16x8.add(a, i16x8.add(pd(xa, v128.and(v, m4)), pd(xc, v128.and(i16x8.shr_u(v, 4), m4))));
    v = v128.load(q, 144);
    b = i16x8.add(b, i16x8.add(pd(xa, v128.and(v, m4)), pd(xc, v128.and(i16x8.shr_u(v, 4), m4))));
    v = v128.load(q, 288);
    c = i16x8.add(c, i16x8.add(pd(xa, v128.and(v, m4)), pd(xc, v128.and(i16x8.shr_u(v, 4), m4))));
    v = v128.load(q, 432);
    d = i16x8.add(d, i16x8.add(pd(xa, v128.and(v, m4)), pd(xc, v128.and(i16x8.shr_u(v, 4), m4))));
    xs += 32;
  }
  // each lane <= 4 · 2 · 2 · 15 · 127 < 32768
  return hsum4(i32x4.dot_i16x8_s(a, S0), i32x4.dot_i16x8_s(b, S1), i32x4.dot_i16x8_s(c, S2), i32x4.dot_i16x8_s(d, S3));
}

/** The four weight rows of a group at `row` (super-blocks interleaved) against one activation row: lane j = row j. */
@inline function rowsBy4(row: usize, nsb: i32, x: usize, xd: usize, xb: usize): v128 {
  let acc = f32x4.splat(0);
  for (let sb = 0; sb < nsb; sb++) {
    const blk = row + <usize>sb * GROUP_STRIDE;
    const sm0 = scaleBytes(blk), sm1 = scaleBytes(blk + BS), sm2 = scaleBytes(blk + 2 * BS), sm3 = scaleBytes(blk + 3 * BS);
    const S0 = i16x8.extend_low_i8x16_u(sm0), S1 = i16x8.extend_low_i8x16_u(sm1);
    const S2 = i16x8.extend_low_i8x16_u(sm2), S3 = i16x8.extend_low_i8x16_u(sm3);
    const xs = x + (<usize>sb << 8);
    const isum = i32x4.add(half4(blk + 16, xs, S0, S1, S2, S3), half4(blk + 80, xs + 128, S0, S1, S2, S3));
    const bs = v128.load(xb + (<usize>sb << 4));
    const msum = hsum4(i32x4.dot_i16x8_s(bs, i16x8.extend_high_i8x16_u(sm0)), i32x4.dot_i16x8_s(bs, i16x8.extend_high_i8x16_u(sm1)),
      i32x4.dot_i16x8_s(bs, i16x8.extend_high_i8x16_u(sm2)), i32x4.dot_i16x8_s(bs, i16x8.extend_high_i8x16_u(sm3)));
    // d, dmin of the 4 rows: f16 pairs at blk + j·144
    let dd = v128.load32_zero(blk);
    dd = v128.load32_lane(blk + BS, dd, 1);
    dd = v128.load32_lane(blk + 2 * BS, dd, 2);
    dd = v128.load32_lane(blk + 3 * BS, dd, 3);
    const dv = f32x4.mul(f16raw(i32x4.shr_s(i32x4.shl(dd, 16), 16)), f32x4.splat(F16_UNBIAS));
    const mv = f32x4.mul(f16raw(i32x4.shr_s(dd, 16)), f32x4.splat(F16_UNBIAS));
    const v = f32x4.sub(f32x4.mul(f32x4.convert_i32x4_s(isum), dv), f32x4.mul(f32x4.convert_i32x4_s(msum), mv));
    acc = fma(v, f32x4.splat(load<f32>(xd + (<usize>sb << 2))), acc);
  }
  return acc;
}

/**
 * Σ over one half super-block (quant vectors at q..q+63) of one weight row against the 4 activation
 * rows of a group at p (interleaved, see quant_q8_k4), with the sub-block scales S: lane j = row j.
 */
@inline function halfGroup(q: usize, p: usize, S: v128): v128 {
  const m4 = i8x16.splat(0x0f);
  let a0 = i16x8.splat(0), a1 = a0, a2 = a0, a3 = a0;
  const qe = q + 64;
  for (; q < qe; q += 16) {
    const v = v128.load(q);
    const lo = v128.and(v, m4), hi = v128.and(i16x8.shr_u(v, 4), m4);
    a0 = i16x8.add(a0, i16x8.add(pd(v128.load(p), lo), pd(v128.load(p, 64), hi)));
    a1 = i16x8.add(a1, i16x8.add(pd(v128.load(p, 16), lo), pd(v128.load(p, 80), hi)));
    a2 = i16x8.add(a2, i16x8.add(pd(v128.load(p, 32), lo), pd(v128.load(p, 96), hi)));
    a3 = i16x8.add(a3, i16x8.add(pd(v128.load(p, 48), lo), pd(v128.load(p, 112), hi)));
    p += 128;
  }
  return hsum4(i32x4.dot_i16x8_s(a0, S), i32x4.dot_i16x8_s(a1, S), i32x4.dot_i16x8_s(a2, S), i32x4.dot_i16x8_s(a3, S));
}

/** Σq·min part of one super-block for the 4 rows of a group (xb at bp: 4 rows' i16[8], 16 bytes apart). */
@inline function minsGroup(bp: usize, M: v128): v128 {
  return hsum4(i32x4.dot_i16x8_s(v128.load(bp), M), i32x4.dot_i16x8_s(v128.load(bp, 16), M),
    i32x4.dot_i16x8_s(v128.load(bp, 32), M), i32x4.dot_i16x8_s(v128.load(bp, 48), M));
}

/** acc + (isum·d − msum·dmin)·xs for one super-block of the weight row at blk (lane j = activation row j). */
@inline function scaleGroup(blk: usize, isum: v128, msum: v128, xs: v128, acc: v128): v128 {
  const v = f32x4.sub(f32x4.mul(f32x4.convert_i32x4_s(isum), f32x4.splat(f16(blk))), f32x4.mul(f32x4.convert_i32x4_s(msum), f32x4.splat(f16(blk + 2))));
  return fma(v, xs, acc);
}

/**
 * One weight row (super-blocks `stride` apart) against the interleaved activation group at x
 * (its xd at xd, xb at xb): lane j = activation row j.
 */
@inline function rowGroup(row: usize, stride: usize, nsb: i32, x: usize, xd: usize, xb: usize): v128 {
  let acc = f32x4.splat(0);
  for (let sb = 0; sb < nsb; sb++) {
    const blk = row + <usize>sb * stride;
    const sm = scaleBytes(blk);
    const S = i16x8.extend_low_i8x16_u(sm);
    const p = x + (<usize>sb << 10);
    const isum = i32x4.add(halfGroup(blk + 16, p, S), halfGroup(blk + 80, p + 512, S));
    const msum = minsGroup(xb + (<usize>sb << 6), i16x8.extend_high_i8x16_u(sm));
    acc = scaleGroup(blk, isum, msum, v128.load(xd + (<usize>sb << 4)), acc);
  }
  return acc;
}

export function mm_q4_k(w: usize, nsb: i32, xq: usize, xd: usize, xb: usize, n: i32, y: usize, ldy: i32, r0: i32, r1: i32): u32 {
  const rowBytes = <usize>nsb * BS;
  const cols = <usize>nsb << 8;
  const xdRow = <usize>nsb << 2;
  const xbRow = <usize>nsb << 4;
  const ys = <usize>ldy << 2;
  // rows in blocks that stay in L1 while the activation groups pass (whole groups of 4 for one row)
  const rb = <i32>max(4, min(16, 24576 / <i32>rowBytes) & ~3);
  const n4 = n & ~3;
  const grouped = r1 & ~3;
  let touched: u32 = 0;
  for (let rs = r0; rs < r1; rs += rb) {
    const re = min(rs + rb, r1);
    // Pull the block in as one sequential stream: the grouped layout has each pass below read every
    // fourth super-block, an order the hardware prefetcher follows poorly.
    if (n4 > 0) {
      const lo = w + <usize>rs * rowBytes, hi = w + <usize>re * rowBytes;
      for (let p = lo; p < hi; p += 64) touched += load<u32>(p);
    }
    for (let t = 0; t < n4; t += 4) {
      const x = xq + <usize>t * cols, dp = xd + <usize>t * xdRow, bp = xb + <usize>t * xbRow;
      for (let r = rs; r < re; r++) {
        const inGroup = r < grouped;
        const base = inGroup ? w + <usize>(r & ~3) * rowBytes + <usize>(r & 3) * BS : w + <usize>r * rowBytes;
        const v = rowGroup(base, inGroup ? GROUP_STRIDE : BS, nsb, x, dp, bp);
        const yo = y + ((<usize>t * <usize>ldy + <usize>r) << 2);
        store<f32>(yo, f32x4.extract_lane(v, 0));
        store<f32>(yo + ys, f32x4.extract_lane(v, 1));
        store<f32>(yo + 2 * ys, f32x4.extract_lane(v, 2));
        store<f32>(yo + 3 * ys, f32x4.extract_lane(v, 3));
      }
    }
    for (let t = n4; t < n; t++) {
      let r = rs;
      for (; r + 4 <= re; r += 4) {
        const v = rowsBy4(w + <usize>r * rowBytes, nsb, xq + <usize>t * cols, xd + <usize>t * xdRow, xb + <usize>t * xbRow);
        v128.store(y + ((<usize>t * <usize>ldy + <usize>r) << 2), v);
      }
      for (; r + 2 <= re; r += 2) {
        const v = row2(w + <usize>r * rowBytes, rowBytes, nsb, xq + <usize>t * cols, xd + <usize>t * xdRow, xb + <usize>t * xbRow);
        const yo = y + ((<usize>t * <usize>ldy + <usize>r) << 2);
        store<f32>(yo, f32x4.extract_lane(v, 0));
        store<f32>(yo, f32x4.extract_lane(v, 1), 4);
      }
      for (; r < re; r++) {
        const v = row1(w + <usize>r * rowBytes, nsb, xq + <usize>t * cols, xd + <usize>t * xdRow, xb + <usize>t * xbRow);
        store<f32>(y + ((<usize>t * <usize>ldy + <usize>r) << 2), v);
      }
    }
  }
  return touched; // keeps the touching loads
}

/**
 * Rewrites `rows` rows of nsb super-blocks in place into the kernel layout: quants interleaved by
 * sub-block, then the super-blocks of each full group of 4 rows interleaved. tmp: 4 rows' bytes.
 */
export function repack_q4_k(w: usize, rows: i32, nsb: i32, tmp: usize): void {
  const total = <usize>rows * <usize>nsb;
  for (let s: usize = 0; s < total; s++) {
    const q = w + s * BS + 16;
    memory.copy(tmp, q, 128);
    for (let i = 0; i < 8; i++) {
      for (let k = 0; k < 8; k++) {
        const src = tmp + (<usize>(k >> 1) << 5);
        const sh = (k & 1) << 2;
        for (let b = 0; b < 2; b++) {
          const lo = (<u32>load<u8>(src + <usize>(4 * i + b)) >> sh) & 15;
          const hi = (<u32>load<u8>(src + <usize>(4 * i + 2 + b)) >> sh) & 15;
          store<u8>(q + <usize>(16 * i + 2 * k + b), <u8>(lo | (hi << 4)));
        }
      }
    }
  }
  const rowBytes = <usize>nsb * BS;
  for (let g = 0; g + 4 <= rows; g += 4) {
    const base = w + <usize>g * rowBytes;
    memory.copy(tmp, base, 4 * rowBytes);
    for (let j: usize = 0; j < 4; j++) {
      for (let sb: usize = 0; sb < <usize>nsb; sb++) memory.copy(base + sb * GROUP_STRIDE + j * BS, tmp + j * rowBytes + sb * BS, BS);
    }
  }
}

/**
 * Rows t0..t1 of x [n][cols] to q8_K4 (see the top of this file); the rows of each full group of 4
 * (below n & ~3) interleaved, the rest plain.
 */
export function quant_q8_k4(x: usize, cols: i32, xq: usize, xd: usize, xb: usize, t0: i32, t1: i32, n: i32): void {
  const nsb = cols >> 8;
  const n4 = n & ~3;
  for (let t = t0; t < t1; t++) {
    // chunk c of super-block b of row t at q0 + b·qsb + c·qc; its xd / xb entry k0 + b·ksb
    const inGroup = t < n4, j = <usize>(t & 3), g0 = <usize>(t & ~3);
    const q0 = inGroup ? xq + g0 * <usize>cols + (j << 4) : xq + <usize>t * <usize>cols;
    const qsb: usize = inGroup ? 1024 : 256, qc: usize = inGroup ? 64 : 16;
    const k0 = inGroup ? g0 * <usize>nsb + j : <usize>t * <usize>nsb;
    const ksb: usize = inGroup ? 4 : 1;
    for (let b = 0; b < nsb; b++) {
      const p = x + ((<usize>(t * cols + b * 256)) << 2);
      let m = f32x4.splat(0);
      for (let k = 0; k < 64; k++) m = f32x4.max(m, f32x4.abs(v128.load(p + (<usize>k << 4))));
      const amax = max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
      const id = f32x4.splat(amax > 0 ? 127 / amax : 0);
      const o = k0 + <usize>b * ksb;
      const dst = q0 + <usize>b * qsb;
      let sA = i32x4.splat(0), sB = sA, sC = sA, sD = sA;
      for (let c = 0; c < 16; c++) {
        // pair c of each sub-block k: floats 32k + 2c, +1 (8 bytes at p + 128k + 8c)
        const pc = p + (<usize>c << 3);
        const fA = v128.load64_lane(pc + 128, v128.load64_zero(pc), 1);
        const fB = v128.load64_lane(pc + 384, v128.load64_zero(pc + 256), 1);
        const fC = v128.load64_lane(pc + 640, v128.load64_zero(pc + 512), 1);
        const fD = v128.load64_lane(pc + 896, v128.load64_zero(pc + 768), 1);
        const a = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(fA, id)));
        const bb = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(fB, id)));
        const cc = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(fC, id)));
        const d = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(fD, id)));
        v128.store(dst + <usize>c * qc, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(a, bb), i16x8.narrow_i32x4_s(cc, d)));
        sA = i32x4.add(sA, a); sB = i32x4.add(sB, bb); sC = i32x4.add(sC, cc); sD = i32x4.add(sD, d);
      }
      // sub-block k's sum: lanes 2k, 2k + 1 of [sA sB sC sD]
      const lo = i32x4.add(i32x4.shuffle(sA, sB, 0, 2, 4, 6), i32x4.shuffle(sA, sB, 1, 3, 5, 7));
      const hi = i32x4.add(i32x4.shuffle(sC, sD, 0, 2, 4, 6), i32x4.shuffle(sC, sD, 1, 3, 5, 7));
      v128.store(xb + (o << 4), i16x8.narrow_i32x4_s(lo, hi));
      store<f32>(xd + (o << 2), amax / 127);
    }
  }
}
