import { f16, f16x4, fma, hsum4, hsum4f, hsumF, hsumI, mad16, onesOf, widen1 } from "./simd";

// Q8_0 products over many activation rows (a prompt's prefill) in integers at the speed of the 4-bit
// kernels. The only fast byte dot product of WebAssembly SIMD (relaxed i16x8 dot, one pmaddubsw on
// x86) takes one signed operand and one in [0, 127]; Q8_0 weights use the full signed range, so the
// activations take the unsigned side: quantized to 7 bits per 32-element block (q7_32: q in [-63, 63]
// stored as u = q + 64, see quant_q7_32) and Σ w·q = Σ w·u − 64·Σw. Σw per weight block is computed
// once per block of weight rows into this thread's buffer and reused by every activation row. The
// sums are exact on every engine (|w·u + w·u| <= 2·127·127 fits an i16 lane); the price is the
// activations' 7th bit (about twice the rounding error of llama.cpp's q8 activations).
//   weights: repacked rows d[nb] f16 | qs[nb][32] i8 (repack.ts)   xq: u8 [n][cols]   xd: f32 [n][nb]

/** Σ of the 32 weights of every block of rows [r0, r1), times 64, as i32 [rows][nb] at dst. */
@inline function blockSums(w: usize, nb: i32, rowBytes: usize, r0: i32, r1: i32, dst: usize): void {
  const one = i8x16.splat(1);
  const ones = onesOf(nb);
  let o = dst;
  for (let r = r0; r < r1; r++) {
    const qs = w + <usize>r * rowBytes + (<usize>nb << 1);
    for (let b = 0; b < nb; b++) {
      const q = qs + (<usize>b << 5);
      const p = i16x8.add(mad16(v128.load(q), one), mad16(v128.load(q, 16), one));
      store<i32>(o, hsumI(widen1(p, ones)) << 6);
      o += 4;
    }
  }
}

/** Σ w·u over one block (32 bytes at q and x) as i32 lanes to be summed. */
@inline function blockDot(q: usize, x: usize, ones: v128): v128 {
  return i32x4.add(widen1(mad16(v128.load(q), v128.load(x)), ones), widen1(mad16(v128.load(q, 16), v128.load(x, 16)), ones));
}

/** One activation row against 4 weight blocks held in registers: acc + their 4 scaled dot products. */
@inline function group(x: usize, xd: usize, l0: v128, h0: v128, l1: v128, h1: v128, l2: v128, h2: v128, l3: v128, h3: v128,
  dw: v128, sw: v128, ones: v128, acc: v128): v128 {
  const d0 = i32x4.add(widen1(mad16(l0, v128.load(x)), ones), widen1(mad16(h0, v128.load(x, 16)), ones));
  const d1 = i32x4.add(widen1(mad16(l1, v128.load(x, 32)), ones), widen1(mad16(h1, v128.load(x, 48)), ones));
  const d2 = i32x4.add(widen1(mad16(l2, v128.load(x, 64)), ones), widen1(mad16(h2, v128.load(x, 80)), ones));
  const d3 = i32x4.add(widen1(mad16(l3, v128.load(x, 96)), ones), widen1(mad16(h3, v128.load(x, 112)), ones));
  const s = i32x4.sub(hsum4(d0, d1, d2, d3), sw);
  return fma(f32x4.convert_i32x4_s(s), f32x4.mul(dw, v128.load(xd)), acc);
}

/** Blocks b0..nb-1 (fewer than 4) of one weight row against one activation row. */
@inline function tail(dp: usize, qp: usize, sums: usize, b0: i32, nb: i32, x: usize, xd: usize, ones: v128): f32 {
  let y: f32 = 0;
  for (let b = b0; b < nb; b++) {
    const s = hsumI(blockDot(qp + (<usize>b << 5), x + (<usize>b << 5), ones)) - load<i32>(sums + (<usize>b << 2));
    y += <f32>s * f16(dp + (<usize>b << 1)) * load<f32>(xd + (<usize>b << 2));
  }
  return y;
}

/** Weight row `row` (block sums at `sums`) against activation rows t..t+3 (four) or t (one); writes y[t.., r]. */
@inline function rowDot(four: bool, row: usize, sums: usize, nb: i32, xq: usize, xd: usize, t: i32, y: usize, ldy: i32, r: i32): void {
  const cols = <usize>nb << 5;
  const xdRow = <usize>nb << 2;
  const dp = row, qp = row + (<usize>nb << 1);
  const full = nb & ~3;
  const ones = onesOf(nb);
  const x0 = xq + <usize>t * cols;
  const d0 = xd + <usize>t * xdRow;
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  const yo = y + ((<usize>t * <usize>ldy + <usize>r) << 2);
  for (let b = 0; b < full; b += 4) {
    const q = qp + (<usize>b << 5);
    const l0 = v128.load(q), h0 = v128.load(q, 16), l1 = v128.load(q, 32), h1 = v128.load(q, 48);
    const l2 = v128.load(q, 64), h2 = v128.load(q, 80), l3 = v128.load(q, 96), h3 = v128.load(q, 112);
    const dw = f16x4(dp + (<usize>b << 1));
    const sw = v128.load(sums + (<usize>b << 2));
    const xo = <usize>b << 5, so = <usize>b << 2;
    a0 = group(x0 + xo, d0 + so, l0, h0, l1, h1, l2, h2, l3, h3, dw, sw, ones, a0);
    if (four) {
      // stores fence each row's loads (see mm-q32.ts)
      store<f32>(yo, f32x4.extract_lane(a0, 0));
      a1 = group(x0 + cols + xo, d0 + xdRow + so, l0, h0, l1, h1, l2, h2, l3, h3, dw, sw, ones, a1);
      store<f32>(yo, f32x4.extract_lane(a1, 0));
      a2 = group(x0 + 2 * cols + xo, d0 + 2 * xdRow + so, l0, h0, l1, h1, l2, h2, l3, h3, dw, sw, ones, a2);
      store<f32>(yo, f32x4.extract_lane(a2, 0));
      a3 = group(x0 + 3 * cols + xo, d0 + 3 * xdRow + so, l0, h0, l1, h1, l2, h2, l3, h3, dw, sw, ones, a3);
    }
  }
  if (four) {
    const s = hsum4f(a0, a1, a2, a3);
    const ys = <usize>ldy << 2;
    let y0 = f32x4.extract_lane(s, 0), y1 = f32x4.extract_lane(s, 1);
    let y2 = f32x4.extract_lane(s, 2), y3 = f32x4.extract_lane(s, 3);
    if (full < nb) {
      y0 += tail(dp, qp, sums, full, nb, x0, d0, ones);
      y1 += tail(dp, qp, sums, full, nb, x0 + cols, d0 + xdRow, ones);
      y2 += tail(dp, qp, sums, full, nb, x0 + 2 * cols, d0 + 2 * xdRow, ones);
      y3 += tail(dp, qp, sums, full, nb, x0 + 3 * cols, d0 + 3 * xdRow, ones);
    }
    store<f32>(yo, y0);
    store<f32>(yo + ys, y1);
    store<f32>(yo + 2 * ys, y2);
    store<f32>(yo + 3 * ys, y3);
  } else {
    let s = hsumF(a0);
    if (full < nb) s += tail(dp, qp, sums, full, nb, x0, d0, ones);
    store<f32>(yo, s);
  }
}

/**
 * y[t, r] = Σ_c x[t, c] · W[r, c] for rows [r0, r1) of repacked Q8_0 against q7_32 activations; `buf`
 * (bufBytes) is this thread's buffer for the block sums of one block of weight rows. xi is unused
 * (the kernel ABI of the quantized kinds passes it).
 */
export function mm_q8_0_u7(w: usize, nb: i32, xq: usize, xd: usize, xi: usize, n: i32, y: usize, ldy: i32, r0: i32, r1: i32,
  buf: usize, bufBytes: i32): void {
  const rowBytes = <usize>nb * 34;
  // a block of weight rows and four activation rows stay in L1 together; its sums fit the buffer
  const rb = <i32>max(1, min(min(16, 24576 / <i32>rowBytes), bufBytes / (nb << 2)));
  const n4 = n & ~3;
  for (let rs = r0; rs < r1; rs += rb) {
    const re = min(rs + rb, r1);
    blockSums(w, nb, rowBytes, rs, re, buf);
    for (let t = 0; t < n4; t += 4) {
      for (let r = rs; r < re; r++) rowDot(true, w + <usize>r * rowBytes, buf + (<usize>((r - rs) * nb) << 2), nb, xq, xd, t, y, ldy, r);
    }
    for (let t = n4; t < n; t++) {
      for (let r = rs; r < re; r++) rowDot(false, w + <usize>r * rowBytes, buf + (<usize>((r - rs) * nb) << 2), nb, xq, xd, t, y, ldy, r);
    }
  }
}
