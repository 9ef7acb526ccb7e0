import { fma, hsum4f, hmaxF, hsumF } from "./simd";

// Scaled dot-product attention with grouped-query heads, same semantics as attention-js.ts:
// query i sees key j unless mask[j] != 0 or kPos[j] > qPos[i] (when positions are given).
// Work items are blocks of 4 (query, head) rows of one kv head (see attention()).

/** e^x for x <= 0 (Cephes expf polynomial, ~1 ulp); -inf and very negative inputs give ~0. */
@inline export function expv(x: v128): v128 {
  x = f32x4.max(x, f32x4.splat(-87.33654));
  const fx = f32x4.floor(fma(x, f32x4.splat(1.44269504088896341), f32x4.splat(0.5)));
  x = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(0.693359375)));
  x = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(-2.12194440e-4)));
  let y = f32x4.splat(1.9875691500e-4);
  y = fma(y, x, f32x4.splat(1.3981999507e-3));
  y = fma(y, x, f32x4.splat(8.3334519073e-3));
  y = fma(y, x, f32x4.splat(4.1665795894e-2));
  y = fma(y, x, f32x4.splat(1.6666665459e-1));
  y = fma(y, x, f32x4.splat(5.0000001201e-1));
  y = f32x4.add(fma(y, f32x4.mul(x, x), x), f32x4.splat(1));
  const e = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(fx), i32x4.splat(127)), 23);
  return f32x4.mul(y, e);
}

@inline function visible(i: i32, j: i32, qPos: usize, kPos: usize, mask: usize): bool {
  if (mask != 0 && load<u8>(mask + <usize>j) != 0) return false;
  if (qPos != 0 && kPos != 0 && load<i32>(kPos + (<usize>j << 2)) > load<i32>(qPos + (<usize>i << 2))) return false;
  return true;
}

/** Softmax in place over sc[0..nKV) (masked entries hold -inf); returns 1/Σ or 0 if all masked. */
@inline export function softmax(sc: usize, nKV: i32): f32 {
  let mv = f32x4.splat(-Infinity);
  let j = 0;
  for (; j + 4 <= nKV; j += 4) mv = f32x4.max(mv, v128.load(sc + (<usize>j << 2)));
  let m = hmaxF(mv);
  for (; j < nKV; j++) m = max(m, load<f32>(sc + (<usize>j << 2)));
  if (m == -Infinity) {
    memory.fill(sc, 0, <usize>nKV << 2);
    return 0;
  }
  const ms = f32x4.splat(m);
  const ninf = f32x4.splat(-Infinity);
  let sv = f32x4.splat(0);
  j = 0;
  for (; j + 4 <= nKV; j += 4) {
    const p = sc + (<usize>j << 2);
    const s = v128.load(p);
    const e = v128.and(expv(f32x4.sub(s, ms)), f32x4.ne(s, ninf));
    v128.store(p, e);
    sv = f32x4.add(sv, e);
  }
  let sum = hsumF(sv);
  for (; j < nKV; j++) {
    const p = sc + (<usize>j << 2);
    const s = load<f32>(p);
    const e: f32 = s == -Infinity ? 0 : <f32>Math.exp(s - m);
    store<f32>(p, e);
    sum += e;
  }
  return 1 / sum;
}

/**
 * Work item w covers up to 4 "rows" (query i, head h) of one kv head: rows r = hg·nQ + i of kv head
 * kh, hg the head within the group, in blocks of 4. So a GQA decode step puts the group's heads in
 * one block and each key and value row is read once for all of them. `scores` is this thread's
 * buffer of 4·nKV + 4·headDim floats.
 */
export function attention(q: usize, k: usize, v: usize, out: usize, probs: usize, qPos: usize, kPos: usize, mask: usize,
  nQ: i32, nKV: i32, nHeads: i32, nKVHeads: i32, headDim: i32, qStride: i32, kvStride: i32, scale: f32,
  scores: usize, w0: i32, w1: i32): void {
  const group = nHeads / nKVHeads;
  const perKV = group * nQ;
  const nB = (perKV + 3) >> 2;
  const kvs = <usize>kvStride << 2;
  const qsb = <usize>qStride << 2;
  const d4 = headDim & ~3;
  const outStride = <usize>(nHeads * headDim) << 2;
  const sRow = <usize>nKV << 2;
  const plain = mask == 0 && (qPos == 0 || kPos == 0);
  for (let w = w0; w < w1; w++) {
    const kh = w / nB;
    const r0 = (w % nB) << 2;
    const nr = min(4, perKV - r0);
    // the 4 rows (a short block repeats its last row; only nr rows are stored)
    const rA = r0, rB = r0 + min(1, nr - 1), rC = r0 + min(2, nr - 1), rD = r0 + min(3, nr - 1);
    const hA = kh * group + rA / nQ, hB = kh * group + rB / nQ, hC = kh * group + rC / nQ, hD = kh * group + rD / nQ;
    const iA = rA % nQ, iB = rB % nQ, iC = rC % nQ, iD = rD % nQ;
    const qa = q + <usize>iA * qsb + (<usize>(hA * headDim) << 2);
    const qb = q + <usize>iB * qsb + (<usize>(hB * headDim) << 2);
    const qc = q + <usize>iC * qsb + (<usize>(hC * headDim) << 2);
    const qd = q + <usize>iD * qsb + (<usize>(hD * headDim) << 2);
    const kb = k + (<usize>(kh * headDim) << 2);
    const vb = v + (<usize>(kh * headDim) << 2);
    const sA = scores, sB = scores + sRow, sC = scores + 2 * sRow, sD = scores + 3 * sRow;
    const sv = f32x4.splat(scale);
    // keys after the last one any of the 4 rows may see add nothing: stop there (a causal prefill skips
    // about half); at least one key, so a row that sees none still gets its zero output below
    let nK = nKV;
    if (!plain) {
      while (nK > 1 && !visible(iA, nK - 1, qPos, kPos, mask) && !visible(iB, nK - 1, qPos, kPos, mask) &&
        !visible(iC, nK - 1, qPos, kPos, mask) && !visible(iD, nK - 1, qPos, kPos, mask)) nK--;
    }
    // scores: 4 rows x 2 keys per step
    let j = 0;
    for (; j + 2 <= nK; j += 2) {
      const k0 = kb + <usize>j * kvs, k1 = k0 + kvs;
      let a0 = f32x4.splat(0), b0 = a0, c0 = a0, e0 = a0, a1 = a0, b1 = a0, c1 = a0, e1 = a0;
      for (let d = 0; d < d4; d += 4) {
        const o = <usize>d << 2;
        const x0 = v128.load(k0 + o), x1 = v128.load(k1 + o);
        const ya = v128.load(qa + o), yb = v128.load(qb + o), yc = v128.load(qc + o), yd = v128.load(qd + o);
        a0 = fma(ya, x0, a0); b0 = fma(yb, x0, b0); c0 = fma(yc, x0, c0); e0 = fma(yd, x0, e0);
        a1 = fma(ya, x1, a1); b1 = fma(yb, x1, b1); c1 = fma(yc, x1, c1); e1 = fma(yd, x1, e1);
      }
      let s0 = f32x4.mul(hsum4f(a0, b0, c0, e0), sv), s1 = f32x4.mul(hsum4f(a1, b1, c1, e1), sv);
      for (let d = d4; d < headDim; d++) {
        const o = <usize>d << 2;
        const y = f32x4(load<f32>(qa + o), load<f32>(qb + o), load<f32>(qc + o), load<f32>(qd + o));
        s0 = fma(f32x4.mul(y, f32x4.splat(load<f32>(k0 + o))), sv, s0);
        s1 = fma(f32x4.mul(y, f32x4.splat(load<f32>(k1 + o))), sv, s1);
      }
      storeScores(s0, j, sA, sB, sC, sD, plain, iA, iB, iC, iD, qPos, kPos, mask);
      storeScores(s1, j + 1, sA, sB, sC, sD, plain, iA, iB, iC, iD, qPos, kPos, mask);
    }
    for (; j < nK; j++) {
      const k0 = kb + <usize>j * kvs;
      let a0 = f32x4.splat(0), b0 = a0, c0 = a0, e0 = a0;
      for (let d = 0; d < d4; d += 4) {
        const o = <usize>d << 2;
        const x0 = v128.load(k0 + o);
        a0 = fma(v128.load(qa + o), x0, a0); b0 = fma(v128.load(qb + o), x0, b0);
        c0 = fma(v128.load(qc + o), x0, c0); e0 = fma(v128.load(qd + o), x0, e0);
      }
      let s0 = f32x4.mul(hsum4f(a0, b0, c0, e0), sv);
      for (let d = d4; d < headDim; d++) {
        const o = <usize>d << 2;
        const y = f32x4(load<f32>(qa + o), load<f32>(qb + o), load<f32>(qc + o), load<f32>(qd + o));
        s0 = fma(f32x4.mul(y, f32x4.splat(load<f32>(k0 + o))), sv, s0);
      }
      storeScores(s0, j, sA, sB, sC, sD, plain, iA, iB, iC, iD, qPos, kPos, mask);
    }
    // softmax, normalised in place so probs and the value sum use the same numbers
    scaleRow(sA, nK, softmax(sA, nK));
    if (nr > 1) scaleRow(sB, nK, softmax(sB, nK));
    if (nr > 2) scaleRow(sC, nK, softmax(sC, nK));
    if (nr > 3) scaleRow(sD, nK, softmax(sD, nK));
    if (probs != 0) {
      copyProbs(probs + ((<usize>(hA * nQ + iA) * <usize>nKV) << 2), sA, nK, nKV);
      if (nr > 1) copyProbs(probs + ((<usize>(hB * nQ + iB) * <usize>nKV) << 2), sB, nK, nKV);
      if (nr > 2) copyProbs(probs + ((<usize>(hC * nQ + iC) * <usize>nKV) << 2), sC, nK, nKV);
      if (nr > 3) copyProbs(probs + ((<usize>(hD * nQ + iD) * <usize>nKV) << 2), sD, nK, nKV);
    }
    // out[i, h, :] = Σ_j p[j] v[j]; a short block reads row A's scores for the missing rows
    const pB = nr > 1 ? sB : sA, pC = nr > 2 ? sC : sA, pD = nr > 3 ? sD : sA;
    // accumulate in this thread's buffer (after the 4 score rows): out rows of neighbouring heads share
    // cache lines, and other threads work on those heads
    const acc = scores + 4 * sRow;
    const hd = <usize>headDim << 2;
    const oA = acc, oB = nr > 1 ? acc + hd : oA, oC = nr > 2 ? acc + 2 * hd : oA, oD = nr > 3 ? acc + 3 * hd : oA;
    // keys in tiles of 8 (their rows stay in L1 however the rows are strided), 8 output dims at a time
    // accumulated in place in the output rows across tiles
    const d8 = headDim & ~7;
    for (let j0 = 0; j0 < nK; j0 += 8) pvTile(sA, pB, pC, pD, oA, oB, oC, oD, vb, kvs, j0, min(j0 + 8, nK), d8);
    let d = d8;
    for (; d < headDim; d++) {
      const od = <usize>d << 2;
      store<f32>(oA + od, vdot(sA, vb + od, kvs, nK));
      if (nr > 1) store<f32>(oB + od, vdot(sB, vb + od, kvs, nK));
      if (nr > 2) store<f32>(oC + od, vdot(sC, vb + od, kvs, nK));
      if (nr > 3) store<f32>(oD + od, vdot(sD, vb + od, kvs, nK));
    }
    memory.copy(out + <usize>iA * outStride + (<usize>(hA * headDim) << 2), oA, hd);
    if (nr > 1) memory.copy(out + <usize>iB * outStride + (<usize>(hB * headDim) << 2), oB, hd);
    if (nr > 2) memory.copy(out + <usize>iC * outStride + (<usize>(hC * headDim) << 2), oC, hd);
    if (nr > 3) memory.copy(out + <usize>iD * outStride + (<usize>(hD * headDim) << 2), oD, hd);
  }
}

/** A row of probabilities: the nK computed ones, zeros for the keys after them. */
/**
 * Four rows of P·V over one tile of keys [j0, j1), output dims [0, dEnd) in steps of 8: o_r[d] += Σ_j
 * p_r[j] v[j, d], accumulated in place in the output rows (the first tile starts them from zero). Rows
 * may alias row A (a short block): they are stored first, so row A's store wins.
 */
@inline export function pvTile(sA: usize, sB: usize, sC: usize, sD: usize, oA: usize, oB: usize, oC: usize, oD: usize,
  vb: usize, kvs: usize, j0: i32, j1: i32, dEnd: i32): void {
  for (let d = 0; d < dEnd; d += 8) {
    const od = <usize>d << 2;
    let a0 = f32x4.splat(0), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, e0 = a0, e1 = a0;
    if (j0 > 0) {
      a0 = v128.load(oA + od); a1 = v128.load(oA + od, 16);
      b0 = v128.load(oB + od); b1 = v128.load(oB + od, 16);
      c0 = v128.load(oC + od); c1 = v128.load(oC + od, 16);
      e0 = v128.load(oD + od); e1 = v128.load(oD + od, 16);
    }
    const vo = vb + od;
    for (let jj = j0; jj < j1; jj++) {
      const vj = vo + <usize>jj * kvs;
      const x0 = v128.load(vj), x1 = v128.load(vj, 16);
      const so = <usize>jj << 2;
      const p0 = v128.load32_splat(sA + so), p1 = v128.load32_splat(sB + so);
      const p2 = v128.load32_splat(sC + so), p3 = v128.load32_splat(sD + so);
      a0 = fma(p0, x0, a0); a1 = fma(p0, x1, a1);
      b0 = fma(p1, x0, b0); b1 = fma(p1, x1, b1);
      c0 = fma(p2, x0, c0); c1 = fma(p2, x1, c1);
      e0 = fma(p3, x0, e0); e1 = fma(p3, x1, e1);
    }
    v128.store(oD + od, e0); v128.store(oD + od, e1, 16);
    v128.store(oC + od, c0); v128.store(oC + od, c1, 16);
    v128.store(oB + od, b0); v128.store(oB + od, b1, 16);
    v128.store(oA + od, a0); v128.store(oA + od, a1, 16);
  }
}

@inline function copyProbs(dst: usize, src: usize, nK: i32, nKV: i32): void {
  memory.copy(dst, src, <usize>nK << 2);
  memory.fill(dst + (<usize>nK << 2), 0, <usize>(nKV - nK) << 2);
}

/** Σ_j p[j] · v[j·stride] (one output element). */
@inline function vdot(p: usize, v: usize, stride: usize, n: i32): f32 {
  let acc: f32 = 0;
  for (let j = 0; j < n; j++) acc += load<f32>(p + (<usize>j << 2)) * load<f32>(v + <usize>j * stride);
  return acc;
}

/** Scores of key j for the 4 rows (lanes), -inf where the key is hidden from that row's query. */
@inline function storeScores(s: v128, j: i32, sA: usize, sB: usize, sC: usize, sD: usize, plain: bool,
  iA: i32, iB: i32, iC: i32, iD: i32, qPos: usize, kPos: usize, mask: usize): void {
  const o = <usize>j << 2;
  if (plain) {
    store<f32>(sA + o, f32x4.extract_lane(s, 0));
    store<f32>(sB + o, f32x4.extract_lane(s, 1));
    store<f32>(sC + o, f32x4.extract_lane(s, 2));
    store<f32>(sD + o, f32x4.extract_lane(s, 3));
    return;
  }
  store<f32>(sA + o, visible(iA, j, qPos, kPos, mask) ? f32x4.extract_lane(s, 0) : -Infinity);
  store<f32>(sB + o, visible(iB, j, qPos, kPos, mask) ? f32x4.extract_lane(s, 1) : -Infinity);
  store<f32>(sC + o, visible(iC, j, qPos, kPos, mask) ? f32x4.extract_lane(s, 2) : -Infinity);
  store<f32>(sD + o, visible(iD, j, qPos, kPos, mask) ? f32x4.extract_lane(s, 3) : -Infinity);
}

@inline export function scaleRow(p: usize, n: i32, s: f32): void {
  const sv = f32x4.splat(s);
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(p + (<usize>j << 2), f32x4.mul(v128.load(p + (<usize>j << 2)), sv));
  for (; j < n; j++) store<f32>(p + (<usize>j << 2), load<f32>(p + (<usize>j << 2)) * s);
}

/** g[i] = silu(g[i]) · u[i] = g[i] / (1 + e^-g[i]) · u[i] for i in [i0, i1) (SwiGLU), f32 with expv. */
export function silu_mul(g: usize, u: usize, i0: i32, i1: i32): void {
  const one = f32x4.splat(1);
  const zero = f32x4.splat(0);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const p = g + (<usize>i << 2);
    const x = v128.load(p);
    // σ(x) = 1 / (1 + e) for x >= 0, e / (1 + e) below, e = e^-|x| (never overflows)
    const e = expv(f32x4.neg(f32x4.abs(x)));
    const num = v128.bitselect(one, e, f32x4.ge(x, zero));
    v128.store(p, f32x4.mul(f32x4.mul(x, f32x4.div(num, f32x4.add(one, e))), v128.load(u + (<usize>i << 2))));
  }
  for (; i < i1; i++) {
    const p = g + (<usize>i << 2);
    const x = load<f32>(p);
    store<f32>(p, x / (1 + <f32>Math.exp(-x)) * load<f32>(u + (<usize>i << 2)));
  }
}
