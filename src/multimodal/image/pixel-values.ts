/**
 * Crop pixels -> the vision tower's float input. The authors compute, in float32,
 * `x = (u8 / 255 - mean) / std` (numpy float32 array ops; transformers casts mean/std to float32),
 * i.e. `fl32(fl32(fl32(u / 255) - mean) / std)`; llama.cpp's `(u / 255.0f - mean) / std` is the same
 * chain. Every step is rounded with Math.fround, which reproduces the authors' bytes exactly.
 */
import type { RgbImage } from "./rgb-image.js";

export type Triple = readonly [number, number, number];

export interface Normalization {
  mean: Triple;
  std: Triple;
}

/** MiniCPM-V (and its llama.cpp mmproj) use 0.5 / 0.5: x in [-1, 1]. */
export const MINICPMV_NORMALIZATION: Readonly<Normalization> = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

/** Normalised float32 CHW `[3, height, width]`. */
export function toPixelValues(img: RgbImage, norm: Normalization = MINICPMV_NORMALIZATION): Float32Array {
  const f32 = Math.fround;
  const plane = img.width * img.height;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const mean = f32(norm.mean[c]);
    const std = f32(norm.std[c]);
    // Only 256 distinct inputs per channel: build the table once.
    const lut = new Float32Array(256);
    for (let u = 0; u < 256; u++) lut[u] = f32(f32(f32(u / 255) - mean) / std);
    const base = c * plane;
    for (let i = 0; i < plane; i++) out[base + i] = lut[img.data[i * 3 + c]];
  }
  return out;
}

/**
 * The authors' `reshape_by_patch`: CHW `[3, H, W]` -> `[3, p, (H/p)*(W/p)*p]` where element
 * `[c, ky, n*p + kx]` is pixel `(py*p + ky, px*p + kx)` of patch `n = py*(W/p) + px`.
 */
export function reshapeByPatch(chw: Float32Array, width: number, height: number, patchSize = 14): Float32Array {
  if (width % patchSize !== 0 || height % patchSize !== 0) {
    throw new RangeError(`${width}x${height} is not a multiple of the patch size ${patchSize}`);
  }
  if (chw.length !== 3 * width * height) throw new RangeError(`CHW buffer has ${chw.length} values, expected ${3 * width * height}`);
  const pw = width / patchSize;
  const ph = height / patchSize;
  const rowLen = pw * ph * patchSize;
  const out = new Float32Array(chw.length);
  for (let c = 0; c < 3; c++) {
    for (let ky = 0; ky < patchSize; ky++) {
      const dstRow = (c * patchSize + ky) * rowLen;
      for (let py = 0; py < ph; py++) {
        const src = (c * height + py * patchSize + ky) * width;
        for (let px = 0; px < pw; px++) {
          const n = py * pw + px;
          const s = src + px * patchSize;
          out.set(chw.subarray(s, s + patchSize), dstRow + n * patchSize);
        }
      }
    }
  }
  return out;
}

/** Inverse of `reshapeByPatch`. */
export function unreshapeByPatch(patched: Float32Array, width: number, height: number, patchSize = 14): Float32Array {
  if (patched.length !== 3 * width * height) throw new RangeError(`patch buffer has ${patched.length} values, expected ${3 * width * height}`);
  const pw = width / patchSize;
  const ph = height / patchSize;
  const rowLen = pw * ph * patchSize;
  const out = new Float32Array(patched.length);
  for (let c = 0; c < 3; c++) {
    for (let ky = 0; ky < patchSize; ky++) {
      const srcRow = (c * patchSize + ky) * rowLen;
      for (let py = 0; py < ph; py++) {
        const dst = (c * height + py * patchSize + ky) * width;
        for (let px = 0; px < pw; px++) {
          const s = srcRow + (py * pw + px) * patchSize;
          out.set(patched.subarray(s, s + patchSize), dst + px * patchSize);
        }
      }
    }
  }
  return out;
}
