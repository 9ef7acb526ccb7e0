import { pvTile, scaleRow, softmax } from "./attention";
import { F32, rows } from "./mm-float";
import { f16, fma, hsum4f } from "./simd";

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

// ---- attention over many query rows (a crop's patches attending to each other) --------------------

/** Rows of one head per work item of attention_rows16. */
const QB = 16;

/**
 * Full (unmasked) attention, nHeads == nKVHeads, headDim a multiple of 8, no probabilities: the
 * arithmetic of attention.ts (4x2 score blocks, the same softmax, values by tiles of 8 keys), with
 * work items of 16 query rows of one head instead of 4, keys in tiles of 64: every key and value row
 * is read from L2 once per 16 query rows instead of once per 4. Work item w: head w / ⌈nQ/16⌉, rows
 * 16·(w % ⌈nQ/16⌉)... (a short last item repeats its last row and stores only its own rows).
 * `scratch`: this thread's 16·nKV + 16·headDim floats.
 */
export function attention_rows16(q: usize, k: usize, v: usize, out: usize, nQ: i32, nKV: i32, nHeads: i32, headDim: i32,
  qStride: i32, kvStride: i32, scale: f32, scratch: usize, w0: i32, w1: i32): void {
  const nB = (nQ + QB - 1) / QB;
  const kvs = <usize>kvStride << 2;
  const qsb = <usize>qStride << 2;
  const outStride = <usize>(nHeads * headDim) << 2;
  const sRow = <usize>nKV << 2;
  const hd = <usize>headDim << 2;
  const accBase = scratch + <usize>QB * sRow;
  const sv = f32x4.splat(scale);
  for (let w = w0; w < w1; w++) {
    const h = w / nB;
    const i0 = (w % nB) * QB;
    const nr = min(QB, nQ - i0);
    const kb = k + (<usize>(h * headDim) << 2);
    const vb = v + (<usize>(h * headDim) << 2);
    const qh = q + (<usize>(h * headDim) << 2);
    // scores, key tiles of 64 (in L1 while the 4 groups of 4 rows pass over them)
    for (let jt = 0; jt < nKV; jt += 64) {
      const je = min(jt + 64, nKV);
      for (let g = 0; g < QB; g += 4) {
        const qa = qh + <usize>min(i0 + g, nQ - 1) * qsb;
        const qb = qh + <usize>min(i0 + g + 1, nQ - 1) * qsb;
        const qc = qh + <usize>min(i0 + g + 2, nQ - 1) * qsb;
        const qd = qh + <usize>min(i0 + g + 3, nQ - 1) * qsb;
        const sA = scratch + <usize>g * sRow, sB = sA + sRow, sC = sB + sRow, sD = sC + sRow;
        let j = jt;
        for (; j + 2 <= je; j += 2) {
          const k0 = kb + <usize>j * kvs, k1 = k0 + kvs;
          let a0 = f32x4.splat(0), b0 = a0, c0 = a0, e0 = a0, a1 = a0, b1 = a0, c1 = a0, e1 = a0;
          for (let d = 0; d < headDim; d += 4) {
            const o = <usize>d << 2;
            const x0 = v128.load(k0 + o), x1 = v128.load(k1 + o);
            const ya = v128.load(qa + o), yb = v128.load(qb + o), yc = v128.load(qc + o), yd = v128.load(qd + o);
            a0 = fma(ya, x0, a0); b0 = fma(yb, x0, b0); c0 = fma(yc, x0, c0); e0 = fma(yd, x0, e0);
            a1 = fma(ya, x1, a1); b1 = fma(yb, x1, b1); c1 = fma(yc, x1, c1); e1 = fma(yd, x1, e1);
          }
          const s0 = f32x4.mul(hsum4f(a0, b0, c0, e0), sv), s1 = f32x4.mul(hsum4f(a1, b1, c1, e1), sv);
          const o0 = <usize>j << 2, o1 = o0 + 4;
          store<f32>(sA + o0, f32x4.extract_lane(s0, 0)); store<f32>(sA + o1, f32x4.extract_lane(s1, 0));
          store<f32>(sB + o0, f32x4.extract_lane(s0, 1)); store<f32>(sB + o1, f32x4.extract_lane(s1, 1));
          store<f32>(sC + o0, f32x4.extract_lane(s0, 2)); store<f32>(sC + o1, f32x4.extract_lane(s1, 2));
          store<f32>(sD + o0, f32x4.extract_lane(s0, 3)); store<f32>(sD + o1, f32x4.extract_lane(s1, 3));
        }
        for (; j < je; j++) {
          const k0 = kb + <usize>j * kvs;
          let a0 = f32x4.splat(0), b0 = a0, c0 = a0, e0 = a0;
          for (let d = 0; d < headDim; d += 4) {
            const o = <usize>d << 2;
            const x0 = v128.load(k0 + o);
            a0 = fma(v128.load(qa + o), x0, a0); b0 = fma(v128.load(qb + o), x0, b0);
            c0 = fma(v128.load(qc + o), x0, c0); e0 = fma(v128.load(qd + o), x0, e0);
          }
          const s0 = f32x4.mul(hsum4f(a0, b0, c0, e0), sv);
          const o0 = <usize>j << 2;
          store<f32>(sA + o0, f32x4.extract_lane(s0, 0));
          store<f32>(sB + o0, f32x4.extract_lane(s0, 1));
          store<f32>(sC + o0, f32x4.extract_lane(s0, 2));
          store<f32>(sD + o0, f32x4.extract_lane(s0, 3));
        }
      }
    }
    const ng = (nr + 3) & ~3; // rows computed (groups of 4); rows past nr repeat row nQ-1
    for (let r = 0; r < ng; r++) {
      const sc = scratch + <usize>r * sRow;
      scaleRow(sc, nKV, softmax(sc, nKV)); // attention.ts's softmax: the same results as its kernel
    }
    // values: tiles of 8 keys (in L1 while the groups pass), 8 output dims at a time, accumulated in
    // this thread's buffer
    for (let j0 = 0; j0 < nKV; j0 += 8) {
      const j1 = min(j0 + 8, nKV);
      for (let g = 0; g < ng; g += 4) {
        const sA = scratch + <usize>g * sRow, sB = sA + sRow, sC = sB + sRow, sD = sC + sRow;
        const oA = accBase + <usize>g * hd, oB = oA + hd, oC = oB + hd, oD = oC + hd;
        pvTile(sA, sB, sC, sD, oA, oB, oC, oD, vb, kvs, j0, j1, headDim);
      }
    }
    for (let r = 0; r < nr; r++) memory.copy(out + <usize>(i0 + r) * outStride + (<usize>(h * headDim) << 2), accBase + <usize>r * hd, hd);
  }
}
