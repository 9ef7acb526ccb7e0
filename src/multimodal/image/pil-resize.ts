/**
 * Pillow's `Image.resize(size, BICUBIC | BILINEAR)` on 8-bit RGB, bit for bit.
 *
 * Pillow (src/libImaging/Resample.c) resamples with a separable convolution: the filter's support is
 * widened by the downscale factor (antialiasing), each output pixel gets its own normalised weights,
 * the weights are turned into 22-bit fixed point (`trunc(w * 2^22 ± 0.5)`), and every pass rounds by
 * adding 2^21 before the shift and clamps to 0..255. Horizontal pass first, then vertical; a pass whose
 * size does not change is skipped, and a same-size resize returns a copy.
 */
import { type RgbImage, copyRgbImage } from "./rgb-image.js";

export type PilFilter = "bicubic" | "bilinear";

const PRECISION_BITS = 22;
const ROUND_HALF = 1 << (PRECISION_BITS - 1);
const ONE_FIXED = 1 << PRECISION_BITS;
const SATURATE = 2 ** (PRECISION_BITS + 8);

interface Kernel {
  support: number;
  weight(x: number): number;
}

const KERNELS: Record<PilFilter, Kernel> = {
  bicubic: {
    support: 2,
    weight(x: number): number {
      // Keys' cubic with a = -0.5 (Pillow's choice; PyTorch/OpenCV use -0.75).
      const a = -0.5;
      if (x < 0) x = -x;
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
  bilinear: {
    support: 1,
    weight(x: number): number {
      if (x < 0) x = -x;
      return x < 1 ? 1 - x : 0;
    },
  },
};

/** Fixed-point weights of one axis: output pixel i reads `count[i]` inputs from `first[i]` on, with
 *  weights `weights[i * ksize + k]`. */
export interface AxisCoefficients {
  ksize: number;
  first: Int32Array;
  count: Int32Array;
  weights: Int32Array;
}

/** Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for the box [0, inSize). */
export function pilAxisCoefficients(inSize: number, outSize: number, filter: PilFilter): AxisCoefficients {
  const kernel = KERNELS[filter];
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = kernel.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const pre = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    const n = xmax - xmin;
    let ww = 0;
    for (let x = 0; x < n; x++) {
      const w = kernel.weight((x + xmin - center + 0.5) * ss);
      pre[x] = w;
      ww += w;
    }
    for (let x = 0; x < n; x++) {
      const k = ww !== 0 ? pre[x] / ww : pre[x];
      weights[xx * ksize + x] = Math.trunc(k < 0 ? -0.5 + k * ONE_FIXED : 0.5 + k * ONE_FIXED);
    }
    first[xx] = xmin;
    count[xx] = n;
  }
  return { ksize, first, count, weights };
}

function clip8(v: number): number {
  if (v >= SATURATE) return 255;
  if (v <= 0) return 0;
  return v >> PRECISION_BITS;
}

/** Horizontal pass over source rows [row0, row0 + rows). */
function resampleHorizontal(src: RgbImage, outWidth: number, row0: number, rows: number, c: AxisCoefficients): RgbImage {
  const out = new Uint8Array(outWidth * rows * 3);
  const { ksize, first, count, weights } = c;
  const inData = src.data;
  for (let y = 0; y < rows; y++) {
    const rowBase = (y + row0) * src.width * 3;
    const outBase = y * outWidth * 3;
    for (let xx = 0; xx < outWidth; xx++) {
      let s0 = ROUND_HALF, s1 = ROUND_HALF, s2 = ROUND_HALF;
      const kBase = xx * ksize;
      let p = rowBase + first[xx] * 3;
      for (let k = 0, n = count[xx]; k < n; k++, p += 3) {
        const w = weights[kBase + k];
        s0 += inData[p] * w;
        s1 += inData[p + 1] * w;
        s2 += inData[p + 2] * w;
      }
      const o = outBase + xx * 3;
      out[o] = clip8(s0);
      out[o + 1] = clip8(s1);
      out[o + 2] = clip8(s2);
    }
  }
  return { width: outWidth, height: rows, data: out };
}

/** Vertical pass; `rowOffset` is subtracted from the coefficients' first rows (the horizontal pass
 *  may have produced only the rows the vertical pass reads). */
function resampleVertical(src: RgbImage, outHeight: number, rowOffset: number, c: AxisCoefficients): RgbImage {
  const width = src.width;
  const out = new Uint8Array(width * outHeight * 3);
  const { ksize, first, count, weights } = c;
  const inData = src.data;
  const stride = width * 3;
  for (let yy = 0; yy < outHeight; yy++) {
    const kBase = yy * ksize;
    const n = count[yy];
    const base0 = (first[yy] - rowOffset) * stride;
    const outBase = yy * stride;
    for (let i = 0; i < stride; i += 3) {
      let s0 = ROUND_HALF, s1 = ROUND_HALF, s2 = ROUND_HALF;
      let p = base0 + i;
      for (let k = 0; k < n; k++, p += stride) {
        const w = weights[kBase + k];
        s0 += inData[p] * w;
        s1 += inData[p + 1] * w;
        s2 += inData[p + 2] * w;
      }
      out[outBase + i] = clip8(s0);
      out[outBase + i + 1] = clip8(s1);
      out[outBase + i + 2] = clip8(s2);
    }
  }
  return { width, height: outHeight, data: out };
}

/** `PIL.Image.resize((width, height), filter)` of an RGB image. */
export function resizePil(img: RgbImage, width: number, height: number, filter: PilFilter = "bicubic"): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`resize target must be positive integers, got ${width}x${height}`);
  }
  if (width === img.width && height === img.height) return copyRgbImage(img);
  const needH = width !== img.width;
  const needV = height !== img.height;
  if (!needV) {
    return resampleHorizontal(img, width, 0, img.height, pilAxisCoefficients(img.width, width, filter));
  }
  const vert = pilAxisCoefficients(img.height, height, filter);
  if (!needH) return resampleVertical(img, height, 0, vert);
  // Only the source rows the vertical pass reads go through the horizontal pass (as Pillow does).
  const rowFirst = vert.first[0];
  const rowEnd = vert.first[height - 1] + vert.count[height - 1];
  const tmp = resampleHorizontal(img, width, rowFirst, rowEnd - rowFirst, pilAxisCoefficients(img.width, width, filter));
  return resampleVertical(tmp, height, rowFirst, vert);
}
