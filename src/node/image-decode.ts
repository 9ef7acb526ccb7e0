/**
 * Image file bytes -> RgbImage, with sharp (libvips). Two flavours:
 *
 * - "pil" (default): what the authors' pipeline sees after `PIL.Image.open(f).convert("RGB")`, plus EXIF
 *   orientation applied. Alpha is dropped without compositing (the RGB under alpha = 0 is kept);
 *   palette images give their palette colours (tRNS / GIF transparency ignored); grey is replicated;
 *   1-bit is 0/255; 16-bit greyscale saturates like PIL's I;16 (v > 255 -> 255); other 16-bit images
 *   keep their high byte (PIL's ";16B" unpackers). GIF: the first frame, decoded by gif-first-frame.ts
 *   because libvips blacks out transparent pixels where PIL shows the palette colour.
 * - "llamacpp": what llama.cpp's stb_image loader gives (3 channels): grey replicated, alpha dropped,
 *   16-bit -> high byte, no EXIF orientation, GIF transparent pixels black.
 *
 * Embedded ICC profiles are ignored in both (neither PIL nor stb_image applies them).
 * Known inexactness: JPEG pixels come from libvips' libjpeg (mozjpeg) — equal to PIL's libjpeg-turbo for
 * baseline/progressive 8-bit files in our tests, but not to stb_image's own JPEG decoder; CMYK JPEGs are
 * converted by libvips, not by PIL's naive CMYK formula.
 *
 * The pixel limit is checked on the header (sharp metadata) before any pixel is decoded, so a
 * decompression bomb costs only the header parse.
 */
import { readFile } from "node:fs/promises";
import sharp, { type Metadata } from "sharp";
import { UserError } from "../errors.js";
import type { RgbImage } from "../multimodal/image/rgb-image.js";
import { decodeGifFirstFrame, GifFormatError } from "../multimodal/image/gif-first-frame.js";

export type DecodeFlavour = "pil" | "llamacpp";

export interface DecodeOptions {
  /** Most pixels (width x height) accepted; default 89,478,485 (PIL's decompression-bomb threshold). */
  maxPixels?: number;
  flavour?: DecodeFlavour;
  /** Used in error messages (e.g. the file path). */
  name?: string;
}

export const DEFAULT_MAX_PIXELS = 89_478_485;

const SUPPORTED = new Set(["png", "jpeg", "webp", "gif", "tiff"]);

/** PNG colour type from IHDR (0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA), or null. */
function pngColourType(bytes: Uint8Array): number | null {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 26 || sig.some((v, i) => bytes[i] !== v)) return null;
  return bytes[25];
}

export function toRgb(data: Uint8Array, width: number, height: number, channels: number, name: string): RgbImage {
  const n = width * height;
  if (channels === 3) return { width, height, data: data.length === n * 3 ? data : data.slice(0, n * 3) };
  const out = new Uint8Array(n * 3);
  if (channels === 1 || channels === 2) {
    for (let i = 0, s = 0; i < n; i++, s += channels) out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = data[s];
  } else if (channels === 4) {
    for (let i = 0, s = 0; i < n; i++, s += 4) {
      out[i * 3] = data[s];
      out[i * 3 + 1] = data[s + 1];
      out[i * 3 + 2] = data[s + 2];
    }
  } else {
    throw new UserError("bad_image", `${name}: unsupported channel count ${channels}`);
  }
  return { width, height, data: out };
}

/** PIL's I;16 -> RGB: values above 255 saturate to white. */
function grey16Saturated(raw: Buffer, width: number, height: number): RgbImage {
  const n = width * height;
  const v = new Uint16Array(raw.buffer, raw.byteOffset, n);
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = v[i] > 255 ? 255 : v[i];
  return { width, height, data: out };
}

export async function decodeImage(bytes: Uint8Array, opts: DecodeOptions = {}): Promise<RgbImage> {
  const name = opts.name ?? "image";
  const flavour = opts.flavour ?? "pil";
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!(maxPixels > 0)) throw new RangeError(`maxPixels must be positive, got ${maxPixels}`);
  if (bytes.length === 0) throw new UserError("bad_image", `${name}: the file is empty`);

  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let meta: Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: false, pages: 1 }).metadata();
  } catch (e) {
    throw new UserError("bad_image", `${name}: not a readable image (${(e as Error).message})`, { cause: e });
  }
  if (!SUPPORTED.has(meta.format)) {
    throw new UserError("bad_image", `${name}: unsupported image format "${meta.format}" (PNG, JPEG, WebP, GIF and TIFF are supported)`);
  }
  const tooLarge = (w: number, h: number): void => {
    if (w * h > maxPixels) {
      throw new UserError("bad_image", `${name}: ${w}x${h} = ${w * h} pixels exceeds the limit of ${maxPixels} pixels`);
    }
  };
  const height = meta.pageHeight ?? meta.height;
  tooLarge(meta.width, height);

  if (meta.format === "gif" && flavour === "pil") {
    try {
      return decodeGifFirstFrame(bytes, tooLarge);
    } catch (e) {
      if (e instanceof GifFormatError) throw new UserError("bad_image", `${name}: ${e.message}`, { cause: e });
      throw e;
    }
  }

  const pipeline = sharp(input, {
    limitInputPixels: maxPixels,
    pages: 1,
    ignoreIcc: true,
    failOn: "error",
    autoOrient: flavour === "pil",
  });
  const pngType = meta.format === "png" ? pngColourType(bytes) : null;
  const grey16 =
    flavour === "pil" && meta.depth === "ushort" && (pngType === 0 || (pngType === null && meta.channels === 1));
  try {
    if (grey16) {
      const { data, info } = await pipeline.extractChannel(0).toColourspace("grey16").raw({ depth: "ushort" }).toBuffer({ resolveWithObject: true });
      return grey16Saturated(data, info.width, info.height);
    }
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    return toRgb(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info.width, info.height, info.channels, name);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError("bad_image", `${name}: cannot decode the image (${(e as Error).message})`, { cause: e });
  }
}

export async function decodeImageFile(path: string, opts: DecodeOptions = {}): Promise<RgbImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === "ENOENT" ? "missing" : "bad_file", `${path}: cannot read the file (${(e as Error).message})`, { cause: e });
  }
  return decodeImage(bytes, { ...opts, name: opts.name ?? path });
}
