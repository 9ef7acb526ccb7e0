/**
 * NaViT position ids: which row of the learned `side × side` position table (side = 70) each patch of
 * an h × w crop takes. Three variants:
 *
 * - authors: `bucketize(arange(0, 1-1e-6, 1/n), arange(1/side, 1, 1/side), right=True)` in float32 on
 *   the CPU, exactly as PyTorch computes it. Two details decide the ties (n = 25, 49, 50, 55, 58, ...):
 *   `1/n` is a float32 tensor division (nb_patches is a tensor), while `1/side` is a Python double; and
 *   PyTorch's AVX2 arange kernel writes 8-wide vectors, two per loop step, as
 *   `f32(f32(start + step·i0) + j·step)` and the tail as `f32(start + step·i)` (doubles inside).
 *   Checked against the authors' bucket vectors for every n in 1..256.
 * - llamacpp: `floor(side·i/n)` in double (clip.cpp).
 * - 1-D (the authors' V2.5 code without tgt_sizes): row 0 of the table, bucketed over the patch count.
 */
const f32 = Math.fround;
const AVX2_FLOATS = 8;

/** `torch.arange(start, end, step)` into a float32 tensor, as the AVX2 CPU kernel computes it. */
export function torchArangeF32(start: number, end: number, step: number): Float32Array {
  const n = Math.max(0, Math.ceil((end - start) / step));
  const out = new Float32Array(n);
  const vectorized = Math.floor(n / (2 * AVX2_FLOATS)) * 2 * AVX2_FLOATS;
  for (let i0 = 0; i0 < vectorized; i0 += AVX2_FLOATS) {
    const base = f32(start + step * i0);
    for (let j = 0; j < AVX2_FLOATS; j++) out[i0 + j] = base + j * step;
  }
  for (let i = vectorized; i < n; i++) out[i] = start + step * i;
  return out;
}

const boundaryCache = new Map<number, Float32Array>();

function boundaries(side: number): Float32Array {
  let b = boundaryCache.get(side);
  if (!b) {
    b = torchArangeF32(1 / side, 1, 1 / side);
    boundaryCache.set(side, b);
  }
  return b;
}

/** The authors' bucket of each of n patches along one side. */
export function authorsBuckets(n: number, side = 70): Int32Array {
  const frac = torchArangeF32(0, 1 - 1e-6, f32(1 / n));
  const b = boundaries(side);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    // bucketize(right=True): the number of boundaries <= x
    let lo = 0;
    let hi = b.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (b[mid] <= frac[i]) lo = mid + 1;
      else hi = mid;
    }
    out[i] = lo;
  }
  return out;
}

/** llama.cpp's bucket: floor(side·i/n) in double. */
export function llamacppBuckets(n: number, side = 70): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor((side * i) / n);
  return out;
}

export type PositionStyle = "authors" | "llamacpp";

/** Position ids of an h × w crop in raster order: bucket(row)·side + bucket(col). */
export function positionIds(h: number, w: number, style: PositionStyle, side = 70): Int32Array {
  const buckets = style === "authors" ? authorsBuckets : llamacppBuckets;
  const bh = buckets(h, side);
  const bw = buckets(w, side);
  const out = new Int32Array(h * w);
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) out[i * w + j] = bh[i] * side + bw[j];
  return out;
}

/** The authors' V2.5 code: all n patches in row 0, bucketed over n. */
export function positionIds1d(n: number, side = 70): Int32Array {
  return authorsBuckets(n, side);
}
