/**
 * llama.cpp's own image resizers (tools/mtmd, `img_tool::resize`), reproduced bit for bit so that the
 * "llamacpp" preprocessing policy feeds the vision tower exactly the bytes llama.cpp does.
 *
 * Both work in float32 (emulated with Math.fround) with no antialiasing:
 * - bilinear: sample points spread corner to corner (`(src-1)/(dst-1)`), lerp in x then y, truncate;
 * - bicubic: a 4x4 cubic-convolution kernel (Catmull-Rom-like coefficients computed in double and stored
 *   as float), sample points `j * src/dst` (no half-pixel shift), edge pixels repeated, `std::round`.
 * With "ceil" padding the image keeps its aspect ratio: it is resized to
 * `min(ceil(side * scale), target)` with `scale = min(tw/w, th/h)` and centred on black.
 */
import { type RgbImage, copyRgbImage } from "./rgb-image.js";

const f32 = Math.fround;

export type LlamacppResizeAlgo = "bilinear" | "bicubic";
export type LlamacppPadStyle = "none" | "ceil";

function lerp(s: number, e: number, t: number): number {
  return f32(s + f32(f32(e - s) * t));
}

export function resizeBilinearLlamacpp(src: RgbImage, width: number, height: number): RgbImage {
  const sw = src.width;
  const sh = src.height;
  const d = src.data;
  const out = new Uint8Array(width * height * 3);
  const xRatio = width > 1 ? f32((sw - 1) / (width - 1)) : 0;
  const yRatio = height > 1 ? f32((sh - 1) / (height - 1)) : 0;
  for (let y = 0; y < height; y++) {
    const py = f32(y * yRatio);
    const y0 = Math.min(Math.trunc(py), sh - 1);
    const y1 = Math.min(y0 + 1, sh - 1);
    const yf = f32(py - y0);
    for (let x = 0; x < width; x++) {
      const px = f32(x * xRatio);
      const x0 = Math.min(Math.trunc(px), sw - 1);
      const x1 = Math.min(x0 + 1, sw - 1);
      const xf = f32(px - x0);
      const p00 = (y0 * sw + x0) * 3;
      const p10 = (y0 * sw + x1) * 3;
      const p01 = (y1 * sw + x0) * 3;
      const p11 = (y1 * sw + x1) * 3;
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const top = lerp(d[p00 + c], d[p10 + c], xf);
        const bottom = lerp(d[p01 + c], d[p11 + c], xf);
        out[o + c] = Math.trunc(lerp(top, bottom, yf));
      }
    }
  }
  return { width, height, data: out };
}

/** One cubic through four samples at -1, 0, 1, 2 (relative to p1), evaluated at t in [0, 1). The
 *  coefficients are double expressions stored into floats, the evaluation is float, as in clip.cpp. */
function cubic(p0: number, p1: number, p2: number, p3: number, t: number): number {
  const d0 = f32(p0 - p1);
  const d2 = f32(p2 - p1);
  const d3 = f32(p3 - p1);
  const a1 = f32((-1.0 / 3) * d0 + d2 - (1.0 / 6) * d3);
  const a2 = f32((1.0 / 2) * d0 + (1.0 / 2) * d2);
  const a3 = f32((-1.0 / 6) * d0 - (1.0 / 2) * d2 + (1.0 / 6) * d3);
  const t2 = f32(a2 * t);
  const t3 = f32(a3 * t);
  return f32(f32(f32(p1 + f32(a1 * t)) + f32(t2 * t)) + f32(f32(t3 * t) * t));
}

function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

export function resizeBicubicLlamacpp(src: RgbImage, width: number, height: number): RgbImage {
  const nx = src.width;
  const ny = src.height;
  const d = src.data;
  const out = new Uint8Array(width * height * 3);
  const tx = f32(nx / width);
  const ty = f32(ny / height);
  const xs = new Int32Array(4);
  const rows = new Int32Array(4);
  const col = new Float64Array(4);
  for (let i = 0; i < height; i++) {
    const syf = f32(ty * i);
    const y = Math.trunc(syf);
    const dy = f32(syf - y);
    for (let jj = 0; jj < 4; jj++) rows[jj] = Math.min(Math.max(y - 1 + jj, 0), ny - 1) * nx;
    for (let j = 0; j < width; j++) {
      const sxf = f32(tx * j);
      const x = Math.trunc(sxf);
      const dx = f32(sxf - x);
      for (let k = 0; k < 4; k++) xs[k] = Math.min(Math.max(x - 1 + k, 0), nx - 1);
      const o = (i * width + j) * 3;
      for (let c = 0; c < 3; c++) {
        for (let jj = 0; jj < 4; jj++) {
          const r = rows[jj];
          col[jj] = cubic(d[(r + xs[0]) * 3 + c], d[(r + xs[1]) * 3 + c], d[(r + xs[2]) * 3 + c], d[(r + xs[3]) * 3 + c], dx);
        }
        const v = roundHalfAway(cubic(col[0], col[1], col[2], col[3], dy));
        out[o + c] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  return { width, height, data: out };
}

/** `img_tool::resize(src, dst, {width, height}, algo, pad)` with a black pad colour. */
export function resizeLlamacpp(
  src: RgbImage,
  width: number,
  height: number,
  algo: LlamacppResizeAlgo,
  pad: LlamacppPadStyle = "none",
): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`resize target must be positive integers, got ${width}x${height}`);
  }
  if (width === src.width && height === src.height) return copyRgbImage(src);
  const resize = algo === "bilinear" ? resizeBilinearLlamacpp : resizeBicubicLlamacpp;
  if (pad === "none") return resize(src, width, height);
  const scale = Math.min(f32(width / src.width), f32(height / src.height));
  const innerW = Math.min(Math.ceil(f32(src.width * scale)), width);
  const innerH = Math.min(Math.ceil(f32(src.height * scale)), height);
  const inner = resize(src, innerW, innerH);
  const out = new Uint8Array(width * height * 3);
  const ox = Math.trunc((width - innerW) / 2);
  const oy = Math.trunc((height - innerH) / 2);
  const rowBytes = innerW * 3;
  for (let y = 0; y < innerH; y++) {
    out.set(inner.data.subarray(y * rowBytes, (y + 1) * rowBytes), ((y + oy) * width + ox) * 3);
  }
  return { width, height, data: out };
}
