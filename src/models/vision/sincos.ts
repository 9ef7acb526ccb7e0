/**
 * The resampler's fixed sin-cos position codes, generated (never stored), in the authors' float32 numpy
 * arithmetic: ω_k = f32(1 / f32(10000^f32(k / (dim/2)))), θ = f32(p·ω_k), then f32 sin and cos.
 *
 * - 2-D (`get_2d_sincos_pos_embed`): patch (row y, col x) → `[sin xω | cos xω | sin yω | cos yω]`,
 *   each quarter D/4 wide (dim = D/2 per axis). Any size: the authors grow their cache for strips wider
 *   than 70 patches, and the code depends on true indices only.
 * - temporal (V4.5 video): frame time t (0.1 s units) → `[sin tω | cos tω]` over the full D.
 */
const f32 = Math.fround;

function omegas(dim: number): Float32Array {
  const half = dim / 2;
  const w = new Float32Array(half);
  for (let k = 0; k < half; k++) w[k] = f32(1 / f32(Math.pow(10000, f32(k / half))));
  return w;
}

/** Writes `[sin(p·ω) | cos(p·ω)]` (dim values) at out[offset..]. */
function encode1d(p: number, omega: Float32Array, out: Float32Array, offset: number): void {
  const half = omega.length;
  for (let k = 0; k < half; k++) {
    const theta = f32(p * omega[k]);
    out[offset + k] = Math.sin(theta);
    out[offset + half + k] = Math.cos(theta);
  }
}

/** 2-D codes for crops of any size; per-coordinate rows are cached and grow as needed. */
export class SinCos2d {
  private readonly omega: Float32Array;
  private readonly half: number;
  private rows = new Float32Array(0);
  private count = 0;

  constructor(readonly dim: number) {
    this.half = dim / 2;
    this.omega = omegas(this.half);
  }

  private ensure(n: number): void {
    if (n <= this.count) return;
    const grown = new Float32Array(n * this.half);
    grown.set(this.rows);
    for (let p = this.count; p < n; p++) encode1d(p, this.omega, grown, p * this.half);
    this.rows = grown;
    this.count = n;
  }

  /** Codes of an h × w crop in raster order `[h·w, dim]`, added into `out` (which holds the keys). */
  addTo(out: Float32Array, h: number, w: number): void {
    this.ensure(Math.max(h, w));
    const { half, rows, dim } = this;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * dim;
        for (let k = 0; k < half; k++) {
          out[o + k] += rows[x * half + k];
          out[o + half + k] += rows[y * half + k];
        }
      }
    }
  }

  /** The `[h·w, dim]` table itself. */
  table(h: number, w: number): Float32Array {
    const out = new Float32Array(h * w * this.dim);
    this.addTo(out, h, w);
    return out;
  }
}

/** Temporal code of frame time t over the full width (`get_1d_sincos_pos_embed_from_temporal_size`). */
export class SinCosTemporal {
  private readonly omega: Float32Array;

  constructor(readonly dim: number) {
    this.omega = omegas(dim);
  }

  code(t: number): Float32Array {
    const out = new Float32Array(this.dim);
    encode1d(t, this.omega, out, 0);
    return out;
  }
}
