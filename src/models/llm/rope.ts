import type { RopeStyle } from "./language-model.js";

/** Rotary position embedding settings of one model. */
export interface Rope {
  /** Leading values of each head that rotate (even). */
  readonly dim: number;
  readonly style: RopeStyle;
  /** Frequency base θ: pair i turns by position · θ^(-2i/dim). */
  readonly base: number;
  /** Linear position scaling (1 = none). */
  readonly freqScale: number;
  /** Per-pair frequency divisors (`rope_freqs.weight`, Llama 3.1 style), if the model has them. */
  readonly freqFactors?: Float32Array;
}

/**
 * cos/sin of every pair's angle at `pos`, computed in float32 the way ggml's rope cache does
 * (θ multiplied up pair by pair in single precision), so long positions round like llama.cpp.
 */
export function ropeAngles(rope: Rope, pos: number, cos: Float32Array, sin: Float32Array): void {
  const f = Math.fround;
  const step = f(Math.pow(rope.base, f(-2 / rope.dim)));
  let theta = f(pos);
  for (let i = 0; i < rope.dim / 2; i++) {
    const ff = rope.freqFactors ? rope.freqFactors[i] : 1;
    const t = f(f(theta / ff) * rope.freqScale);
    cos[i] = Math.cos(t);
    sin[i] = Math.sin(t);
    theta = f(theta * step);
  }
}

/**
 * Rotates, in place, the first `rope.dim` values of each of `nHeads` heads in `n` rows of `x`
 * (row stride `stride`, head h at offset h·headDim), row t at position `positions[t]`.
 */
export function applyRope(rope: Rope, x: Float32Array, n: number, stride: number, nHeads: number, headDim: number, positions: ArrayLike<number>): void {
  const half = rope.dim / 2;
  const cos = new Float32Array(half);
  const sin = new Float32Array(half);
  // "norm" pairs (2i, 2i+1); "neox" pairs (i, i + dim/2)
  const a = rope.style === "norm" ? 2 : 1;
  const b = rope.style === "norm" ? 1 : half;
  for (let t = 0; t < n; t++) {
    ropeAngles(rope, positions[t], cos, sin);
    for (let h = 0; h < nHeads; h++) {
      const o = t * stride + h * headDim;
      for (let i = 0; i < half; i++) {
        const j0 = o + i * a;
        const j1 = j0 + b;
        const x0 = x[j0];
        const x1 = x[j1];
        x[j0] = x0 * cos[i] - x1 * sin[i];
        x[j1] = x0 * sin[i] + x1 * cos[i];
      }
    }
  }
}
