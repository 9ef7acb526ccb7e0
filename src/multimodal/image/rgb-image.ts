/**
 * The one in-memory image type of the multimodal layer: 8-bit RGB, row-major, no padding
 * (`data[(y * width + x) * 3 + c]`). Decoders produce it, resizers and croppers consume and return it.
 */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A new black image (or one wrapping `data`, which must hold exactly width*height*3 bytes). */
export function createRgbImage(width: number, height: number, data?: Uint8Array): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`image size must be positive integers, got ${width}x${height}`);
  }
  const n = width * height * 3;
  if (data !== undefined && data.length !== n) {
    throw new RangeError(`RGB buffer of ${width}x${height} needs ${n} bytes, got ${data.length}`);
  }
  return { width, height, data: data ?? new Uint8Array(n) };
}

export function copyRgbImage(img: RgbImage): RgbImage {
  return { width: img.width, height: img.height, data: img.data.slice() };
}

/** Copy of the rectangle [left, right) x [top, bottom); it must lie inside the image (like a crop
 *  box in PIL, but out-of-range boxes are a bug here, never padded). */
export function cropRgbImage(img: RgbImage, left: number, top: number, right: number, bottom: number): RgbImage {
  if (left < 0 || top < 0 || right > img.width || bottom > img.height || right <= left || bottom <= top) {
    throw new RangeError(`crop box [${left},${top},${right},${bottom}] outside ${img.width}x${img.height}`);
  }
  const w = right - left;
  const h = bottom - top;
  const out = new Uint8Array(w * h * 3);
  const rowBytes = w * 3;
  for (let y = 0; y < h; y++) {
    const src = ((top + y) * img.width + left) * 3;
    out.set(img.data.subarray(src, src + rowBytes), y * rowBytes);
  }
  return { width: w, height: h, data: out };
}
