import { clamp, f32, nearestInt } from "./common.js";

/**
 * Scale searches shared by the K-quant reference quantizers (ggml-quants.c `make_*_quants`),
 * written out in float32 steps so the chosen levels match ggml's.
 */

const GROUP_MAX_EPS = f32(1e-15);
const TENTH = f32(0.1);

/**
 * Asymmetric levels 0..nmax with a non-positive offset (`make_qkx2_quants`): tries nstep+1 grid
 * stretches, keeps the weighted least-squares (or least-abs with `useMad`) best. Writes the levels
 * to L[lo..lo+n) and returns [scale, -min].
 */
export function makeQkx2Quants(
  n: number, nmax: number, x: Float32Array, xo: number, weights: Float32Array,
  L: Uint8Array, lo: number, Laux: Uint8Array, rmin: number, rdelta: number, nstep: number, useMad: boolean,
): [number, number] {
  let min = x[xo];
  let max = x[xo];
  let sumW = weights[0];
  let sumX = f32(sumW * x[xo]);
  for (let i = 1; i < n; i++) {
    const v = x[xo + i];
    if (v < min) min = v;
    if (v > max) max = v;
    const w = weights[i];
    sumW = f32(sumW + w);
    sumX = f32(sumX + f32(w * v));
  }
  if (min > 0) min = 0;
  if (max === min) {
    L.fill(0, lo, lo + n);
    return [0, -min];
  }
  let iscale = f32(nmax / f32(max - min));
  let scale = f32(1 / iscale);
  let bestError = 0;
  for (let i = 0; i < n; i++) {
    const v = x[xo + i];
    const l = clamp(nearestInt(f32(iscale * f32(v - min))), 0, nmax);
    L[lo + i] = l;
    let diff = f32(f32(f32(scale * l) + min) - v);
    diff = useMad ? Math.abs(diff) : f32(diff * diff);
    bestError = f32(bestError + f32(weights[i] * diff));
  }
  if (nstep < 1) return [scale, -min];
  for (let is = 0; is <= nstep; is++) {
    // `min` moves when a step wins, and later steps measure from the new one (as ggml does)
    iscale = f32(f32(f32(rmin + f32(rdelta * is)) + nmax) / f32(max - min));
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      const v = x[xo + i];
      const l = clamp(nearestInt(f32(iscale * f32(v - min))), 0, nmax);
      Laux[i] = l;
      const wl = f32(weights[i] * l);
      sumL = f32(sumL + wl);
      sumL2 = f32(sumL2 + f32(wl * l));
      sumXL = f32(sumXL + f32(wl * v));
    }
    const D = f32(f32(sumW * sumL2) - f32(sumL * sumL));
    if (D > 0) {
      let thisScale = f32(f32(f32(sumW * sumXL) - f32(sumX * sumL)) / D);
      let thisMin = f32(f32(f32(sumL2 * sumX) - f32(sumL * sumXL)) / D);
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = f32(sumXL / sumL2);
      }
      let curError = 0;
      for (let i = 0; i < n; i++) {
        let diff = f32(f32(f32(thisScale * Laux[i]) + thisMin) - x[xo + i]);
        diff = useMad ? Math.abs(diff) : f32(diff * diff);
        curError = f32(curError + f32(weights[i] * diff));
      }
      if (curError < bestError) {
        for (let i = 0; i < n; i++) L[lo + i] = Laux[i];
        bestError = curError;
        scale = thisScale;
        min = thisMin;
      }
    }
  }
  return [scale, -min];
}

function signedMaxAbs(x: Float32Array, xo: number, n: number): [number, number] {
  let max = 0;
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const ax = Math.abs(x[xo + i]);
    if (ax > amax) { amax = ax; max = x[xo + i]; }
  }
  return [max, amax];
}

/**
 * Symmetric levels -nmax..nmax-1 (stored +nmax) weighted by x² (`make_qx_quants`, rmse_type 1,
 * no importance weights), trying 18 stretches of the grid around the extreme value.
 */
export function makeQxQuants(n: number, nmax: number, x: Float32Array, xo: number, L: Uint8Array, lo: number): number {
  const [max, amax] = signedMaxAbs(x, xo, n);
  if (amax < GROUP_MAX_EPS) {
    L.fill(0, lo, lo + n);
    return 0;
  }
  let iscale = f32(-nmax / max);
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const v = x[xo + i];
    const l = clamp(nearestInt(f32(iscale * v)), -nmax, nmax - 1);
    L[lo + i] = l + nmax;
    const w = f32(v * v);
    sumlx = f32(sumlx + f32(f32(w * v) * l));
    suml2 = f32(suml2 + f32(f32(w * l) * l));
  }
  let scale = suml2 ? f32(sumlx / suml2) : 0;
  let best = f32(scale * sumlx);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    iscale = f32(-f32(nmax + f32(TENTH * is)) / max);
    sumlx = 0;
    suml2 = 0;
    for (let i = 0; i < n; i++) {
      const v = x[xo + i];
      const l = clamp(nearestInt(f32(iscale * v)), -nmax, nmax - 1);
      const w = f32(v * v);
      sumlx = f32(sumlx + f32(f32(w * v) * l));
      suml2 = f32(suml2 + f32(f32(w * l) * l));
    }
    if (suml2 > 0 && f32(sumlx * sumlx) > f32(best * suml2)) {
      for (let i = 0; i < n; i++) L[lo + i] = nmax + clamp(nearestInt(f32(iscale * x[xo + i])), -nmax, nmax - 1);
      scale = f32(sumlx / suml2);
      best = f32(scale * sumlx);
    }
  }
  return scale;
}

/**
 * Symmetric 3-bit levels (`make_q3_quants` with do_rmse): a start from the extreme value, then up
 * to five passes moving single levels while the x²-weighted fit improves. L gets levels + nmax.
 */
export function makeQ3Quants(n: number, nmax: number, x: Float32Array, xo: number, L: Int8Array, lo: number): number {
  const [max, amax] = signedMaxAbs(x, xo, n);
  if (amax < GROUP_MAX_EPS) {
    L.fill(0, lo, lo + n);
    return 0;
  }
  const iscale = f32(-nmax / max);
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const v = x[xo + i];
    const l = clamp(nearestInt(f32(iscale * v)), -nmax, nmax - 1);
    L[lo + i] = l;
    const w = f32(v * v);
    sumlx = f32(sumlx + f32(f32(w * v) * l));
    suml2 = f32(suml2 + f32(f32(w * l) * l));
  }
  for (let itry = 0; itry < 5; itry++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const v = x[xo + i];
      const w = f32(v * v);
      const li = L[lo + i];
      let slx = f32(sumlx - f32(f32(w * v) * li));
      if (slx > 0) {
        let sl2 = f32(suml2 - f32(f32(w * li) * li));
        const nl = clamp(nearestInt(f32(f32(v * sl2) / slx)), -nmax, nmax - 1);
        if (nl !== li) {
          slx = f32(slx + f32(f32(w * v) * nl));
          sl2 = f32(sl2 + f32(f32(w * nl) * nl));
          if (sl2 > 0 && f32(f32(slx * slx) * suml2) > f32(f32(sumlx * sumlx) * sl2)) {
            L[lo + i] = nl;
            sumlx = slx;
            suml2 = sl2;
            changed++;
          }
        }
      }
    }
    if (!changed) break;
  }
  for (let i = 0; i < n; i++) L[lo + i] += nmax;
  return suml2 > 0 ? f32(sumlx / suml2) : 0;
}

/** Unpacks the j-th 6-bit (scale, min) pair of Q4_K/Q5_K's 12-byte scale field at `o`. */
export function scaleMinK4(j: number, q: Uint8Array, o: number): [number, number] {
  if (j < 4) return [q[o + j] & 63, q[o + j + 4] & 63];
  return [
    (q[o + j + 4] & 0x0f) | ((q[o + j - 4] >> 6) << 4),
    (q[o + j + 4] >> 4) | ((q[o + j] >> 6) << 4),
  ];
}

/** Packs eight 6-bit (scale, min) pairs the way `scaleMinK4` reads them. */
export function packScaleMinK4(ls: Uint8Array, lm: Uint8Array, q: Uint8Array, o: number): void {
  for (let j = 0; j < 8; j++) {
    if (j < 4) {
      q[o + j] = ls[j];
      q[o + j + 4] = lm[j];
    } else {
      q[o + j + 4] = (ls[j] & 0x0f) | ((lm[j] & 0x0f) << 4);
      q[o + j - 4] |= (ls[j] >> 4) << 6;
      q[o + j] |= (lm[j] >> 4) << 6;
    }
  }
}
