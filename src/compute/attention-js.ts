import type { AttentionArgs } from "./backend.js";

/** Plain-JavaScript attention (the reference; also the fallback of other backends). */
export function attentionJs(a: AttentionArgs): Float32Array {
  const { q, k, v, nQ, nKV, nHeads, nKVHeads, headDim, scale, qPos, kPos, keyMask, probs } = a;
  const qStride = a.qStride ?? nHeads * headDim;
  const kvStride = a.kvStride ?? nKVHeads * headDim;
  const out = a.out ?? new Float32Array(nQ * nHeads * headDim);
  const group = nHeads / nKVHeads;
  const scores = new Float32Array(nKV);
  const acc = new Float64Array(headDim);
  for (let h = 0; h < nHeads; h++) {
    const kh = Math.floor(h / group);
    for (let i = 0; i < nQ; i++) {
      const qo = i * qStride + h * headDim;
      let max = -Infinity;
      for (let j = 0; j < nKV; j++) {
        const visible = !(keyMask && keyMask[j]) && !(qPos && kPos && kPos[j] > qPos[i]);
        if (!visible) { scores[j] = -Infinity; continue; }
        const ko = j * kvStride + kh * headDim;
        let s = 0;
        for (let d = 0; d < headDim; d++) s += q[qo + d] * k[ko + d];
        s *= scale;
        scores[j] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let j = 0; j < nKV; j++) {
        const e = scores[j] === -Infinity ? 0 : Math.exp(scores[j] - max);
        scores[j] = e;
        sum += e;
      }
      const inv = sum > 0 ? 1 / sum : 0;
      acc.fill(0);
      for (let j = 0; j < nKV; j++) {
        const p = scores[j] * inv;
        if (probs) probs[(h * nQ + i) * nKV + j] = p;
        if (p === 0) continue;
        const vo = j * kvStride + kh * headDim;
        for (let d = 0; d < headDim; d++) acc[d] += p * v[vo + d];
      }
      const oo = i * nHeads * headDim + h * headDim;
      for (let d = 0; d < headDim; d++) out[oo + d] = acc[d];
    }
  }
  return out;
}
