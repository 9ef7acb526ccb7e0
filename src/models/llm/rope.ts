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

/** cos/sin of the pair angles of consecutive rows, `[n, dim/2]` each (row t at positions[t]). */
export interface RopeAngles {
  readonly cos: Float32Array;
  readonly sin: Float32Array;
}

export function ropeTable(rope: Rope, positions: ArrayLike<number>, n = positions.length): RopeAngles {
  const half = rope.dim / 2;
  const cos = new Float32Array(n * half);
  const sin = new Float32Array(n * half);
  for (let t = 0; t < n; t++) ropeAngles(rope, positions[t], cos.subarray(t * half, (t + 1) * half), sin.subarray(t * half, (t + 1) * half));
  return { cos, sin };
}

/** Rows t in [start, start + n) of a table. */
export function ropeTableRows(rope: Rope, angles: RopeAngles, start: number, n: number): RopeAngles {
  const half = rope.dim / 2;
  return { cos: angles.cos.subarray(start * half, (start + n) * half), sin: angles.sin.subarray(start * half, (start + n) * half) };
}

/**
 * The angle table of the rows in flight, kept from layer to layer: their positions change only when a
 * hook drops rows (or edits positions, hence the comparison of the values rather than the array).
 */
export class RopeTableCache {
  private positions = new Int32Array(0);
  private angles: RopeAngles | undefined;

  constructor(private readonly rope: Rope) {}

  of(positions: Int32Array): RopeAngles {
    const same = this.angles !== undefined && positions.length === this.positions.length && positions.every((p, i) => p === this.positions[i]);
    if (!same) {
      this.positions = positions.slice();
      this.angles = ropeTable(this.rope, positions);
    }
    return this.angles!;
  }
}

/**
 * Rotates, in place, the first `rope.dim` values of each of `nHeads` heads in `n` rows of `x`
 * (row stride `stride`, head h at offset h·headDim), row t at position `positions[t]`; `angles`,
 * if given, is their ropeTable.
 */
export function applyRope(
  rope: Rope, x: Float32Array, n: number, stride: number, nHeads: number, headDim: number, positions: ArrayLike<number>,
  angles = ropeTable(rope, positions, n),
): void {
  const half = rope.dim / 2;
  const { cos, sin } = angles;
  // "norm" pairs (2i, 2i+1); "neox" pairs (i, i + dim/2)
  const a = rope.style === "norm" ? 2 : 1;
  const b = rope.style === "norm" ? 1 : half;
  for (let t = 0; t < n; t++) {
    const rowEnd = t * stride + nHeads * headDim;
    // pair by pair, across the heads: one cos/sin load per pair, two heads per step with their loads
    // before the stores (V8 re-checks the array after each store)
    for (let i = 0; i < half; i++) {
      const c = cos[t * half + i];
      const s = sin[t * half + i];
      let j = t * stride + i * a;
      for (; j + headDim < rowEnd; j += 2 * headDim) {
        const k = j + headDim;
        const x0 = x[j], x1 = x[j + b], y0 = x[k], y1 = x[k + b];
        x[j] = x0 * c - x1 * s;
        x[j + b] = x0 * s + x1 * c;
        x[k] = y0 * c - y1 * s;
        x[k + b] = y0 * s + y1 * c;
      }
      if (j < rowEnd) {
        const x0 = x[j], x1 = x[j + b];
        x[j] = x0 * c - x1 * s;
        x[j + b] = x0 * s + x1 * c;
      }
    }
  }
}
