import { fma, hsum4f, hmaxF, hsumF } from "./simd";

// Scaled dot-product attention with grouped-query heads, same semantics as attention-js.ts:
// query i sees key j unless mask[j] != 0 or kPos[j] > qPos[i] (when positions are given).
// Work items are (head, block of 4 queries), so each key and value row is read once per 4 queries.

/** e^x for x <= 0 (Cephes expf polynomial, ~1 ulp); -inf and very negative inputs give ~0. */
@inline function expv(x: v128): v128 {
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
@inline function softmax(sc: usize, nKV: i32): f32 {
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

export function attention(q: usize, k: usize, v: usize, out: usize, probs: usize, qPos: usize, kPos: usize, mask: usize,
  nQ: i32, nKV: i32, nHeads: i32, nKVHeads: i32, headDim: i32, qStride: i32, kvStride: i32, scale: f32,
  scores: usize, w0: i32, w1: i32): void {
  const group = nHeads / nKVHeads;
  const nQB = (nQ + 3) >> 2;
  const kvs = <usize>kvStride << 2;
  const d4 = headDim & ~3;
  const outStride = <usize>(nHeads * headDim) << 2;
  const sRow = <usize>nKV << 2;
  for (let w = w0; w < w1; w++) {
    const h = w / nQB;
    const i0 = (w % nQB) << 2;
    const nq = min(4, nQ - i0);
    const kh = h / group;
    // query pointers; a partial block repeats its last query
    const qa = q + ((<usize>i0 * <usize>qStride + <usize>(h * headDim)) << 2);
    const qsb = <usize>qStride << 2;
    const q1 = qa + (nq > 1 ? qsb : 0), q2 = qa + (nq > 2 ? 2 * qsb : 0), q3 = qa + (nq > 3 ? 3 * qsb : 0);
    const kb = k + (<usize>(kh * headDim) << 2);
    const vb = v + (<usize>(kh * headDim) << 2);
    // scores[t][j] for the 4 queries
    for (let j = 0; j < nKV; j++) {
      const kj = kb + <usize>j * kvs;
      let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
      let d = 0;
      for (; d < d4; d += 4) {
        const o = <usize>d << 2;
        const kv = v128.load(kj + o);
        a0 = fma(v128.load(qa + o), kv, a0); a1 = fma(v128.load(q1 + o), kv, a1);
        a2 = fma(v128.load(q2 + o), kv, a2); a3 = fma(v128.load(q3 + o), kv, a3);
      }
      let s = hsum4f(a0, a1, a2, a3);
      for (; d < headDim; d++) {
        const o = <usize>d << 2;
        const kd = load<f32>(kj + o);
        s = f32x4.add(s, f32x4.mul(f32x4.splat(kd), f32x4(load<f32>(qa + o), load<f32>(q1 + o), load<f32>(q2 + o), load<f32>(q3 + o))));
      }
      s = f32x4.mul(s, f32x4.splat(scale));
      const so = scores + (<usize>j << 2);
      store<f32>(so, visible(i0, j, qPos, kPos, mask) ? f32x4.extract_lane(s, 0) : -Infinity);
      if (nq > 1) store<f32>(so + sRow, visible(i0 + 1, j, qPos, kPos, mask) ? f32x4.extract_lane(s, 1) : -Infinity);
      if (nq > 2) store<f32>(so + 2 * sRow, visible(i0 + 2, j, qPos, kPos, mask) ? f32x4.extract_lane(s, 2) : -Infinity);
      if (nq > 3) store<f32>(so + 3 * sRow, visible(i0 + 3, j, qPos, kPos, mask) ? f32x4.extract_lane(s, 3) : -Infinity);
    }
    let inv0: f32 = 0, inv1: f32 = 0, inv2: f32 = 0, inv3: f32 = 0;
    inv0 = softmax(scores, nKV);
    if (nq > 1) inv1 = softmax(scores + sRow, nKV);
    if (nq > 2) inv2 = softmax(scores + 2 * sRow, nKV);
    if (nq > 3) inv3 = softmax(scores + 3 * sRow, nKV);
    // normalise in place so probs and the value sum use the same numbers
    scaleRow(scores, nKV, inv0);
    if (nq > 1) scaleRow(scores + sRow, nKV, inv1);
    if (nq > 2) scaleRow(scores + 2 * sRow, nKV, inv2);
    if (nq > 3) scaleRow(scores + 3 * sRow, nKV, inv3);
    if (probs != 0) {
      for (let t = 0; t < nq; t++) {
        memory.copy(probs + ((<usize>(h * nQ + i0 + t) * <usize>nKV) << 2), scores + <usize>t * sRow, sRow);
      }
    }
    // out[i0+t, h, :] = Σ_j p[t][j] v[j]
    const o0 = out + <usize>i0 * outStride + (<usize>(h * headDim) << 2);
    const s1 = nq > 1 ? sRow : 0, s2 = nq > 2 ? 2 * sRow : 0, s3 = nq > 3 ? 3 * sRow : 0;
    let d = 0;
    for (; d + 8 <= headDim; d += 8) {
      let a0 = f32x4.splat(0), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, e0 = a0, e1 = a0;
      const vo = vb + (<usize>d << 2);
      for (let j = 0; j < nKV; j++) {
        const vj = vo + <usize>j * kvs;
        const x0 = v128.load(vj), x1 = v128.load(vj, 16);
        const so = scores + (<usize>j << 2);
        const p0 = v128.load32_splat(so), p1 = v128.load32_splat(so + s1);
        const p2 = v128.load32_splat(so + s2), p3 = v128.load32_splat(so + s3);
        a0 = fma(p0, x0, a0); a1 = fma(p0, x1, a1);
        b0 = fma(p1, x0, b0); b1 = fma(p1, x1, b1);
        c0 = fma(p2, x0, c0); c1 = fma(p2, x1, c1);
        e0 = fma(p3, x0, e0); e1 = fma(p3, x1, e1);
      }
      const od = o0 + (<usize>d << 2);
      v128.store(od, a0); v128.store(od, a1, 16);
      if (nq > 1) { v128.store(od + outStride, b0); v128.store(od + outStride, b1, 16); }
      if (nq > 2) { v128.store(od + 2 * outStride, c0); v128.store(od + 2 * outStride, c1, 16); }
      if (nq > 3) { v128.store(od + 3 * outStride, e0); v128.store(od + 3 * outStride, e1, 16); }
    }
    for (; d < headDim; d++) {
      for (let t = 0; t < nq; t++) {
        let acc: f32 = 0;
        const st = scores + <usize>t * sRow;
        for (let j = 0; j < nKV; j++) acc += load<f32>(st + (<usize>j << 2)) * load<f32>(vb + <usize>j * kvs + (<usize>d << 2));
        store<f32>(o0 + <usize>t * outStride + (<usize>d << 2), acc);
      }
    }
  }
}

@inline function scaleRow(p: usize, n: i32, s: f32): void {
  const sv = f32x4.splat(s);
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(p + (<usize>j << 2), f32x4.mul(v128.load(p + (<usize>j << 2)), sv));
  for (; j < n; j++) store<f32>(p + (<usize>j << 2), load<f32>(p + (<usize>j << 2)) * s);
}
