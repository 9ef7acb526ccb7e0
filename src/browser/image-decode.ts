import { UserError } from "../errors.js";
import type { ImageResolver } from "../multimodal/messages.js";
import type { RgbImage } from "../multimodal/image/rgb-image.js";

/** PIL's decompression-bomb threshold, as in the Node decoder. */
const DEFAULT_MAX_PIXELS = 89_478_485;

/**
 * Encoded image bytes -> RgbImage with the browser's own decoders (createImageBitmap + OffscreenCanvas;
 * works in workers). EXIF orientation is applied and colour profiles ignored, as the Node decoder does.
 * Known difference from Node (PIL's convert("RGB")): the canvas premultiplies alpha, so the colour under
 * transparent pixels is lost (opaque images decode to the same pixels).
 */
export async function decodeImageBlob(blob: Blob, opts: { name?: string; maxPixels?: number } = {}): Promise<RgbImage> {
  const name = opts.name ?? "image";
  if (blob.size === 0) throw new UserError("bad_image", `${name}: the file is empty`);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { colorSpaceConversion: "none", premultiplyAlpha: "none", imageOrientation: "from-image" });
  } catch (e) {
    throw new UserError("bad_image", `${name}: not a readable image (${(e as Error).message})`, { cause: e });
  }
  try {
    const { width, height } = bitmap;
    const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
    if (width * height > maxPixels) throw new UserError("bad_image", `${name}: ${width}x${height} = ${width * height} pixels exceeds the limit of ${maxPixels} pixels`);
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    if (!ctx) throw new Error("pocketvlm: no 2d context on an OffscreenCanvas");
    ctx.drawImage(bitmap, 0, 0);
    const rgba = ctx.getImageData(0, 0, width, height).data;
    const n = width * height;
    const rgb = new Uint8Array(n * 3);
    for (let i = 0, s = 0, d = 0; i < n; i++, s += 4, d += 3) {
      rgb[d] = rgba[s];
      rgb[d + 1] = rgba[s + 1];
      rgb[d + 2] = rgba[s + 2];
    }
    return { width, height, data: rgb };
  } finally {
    bitmap.close();
  }
}

/** RgbImage -> RGBA ImageData (for thumbnails on a canvas). */
export function toImageData(img: RgbImage): ImageData {
  const n = img.width * img.height;
  const rgba = new Uint8ClampedArray(n * 4);
  for (let i = 0, s = 0, d = 0; i < n; i++, s += 3, d += 4) {
    rgba[d] = img.data[s];
    rgba[d + 1] = img.data[s + 1];
    rgba[d + 2] = img.data[s + 2];
    rgba[d + 3] = 255;
  }
  return new ImageData(rgba, img.width, img.height);
}

/** The browser's ImageResolver for image_url parts: data:, blob: and http(s) URLs, fetched and decoded. */
export function browserImageResolver(opts: { maxBytes?: number } = {}): ImageResolver {
  const maxBytes = opts.maxBytes ?? 20 * 1024 * 1024;
  return async (url: string) => {
    if (!/^(data|blob|https?):/i.test(url)) throw new UserError("bad_image", `image URL ${JSON.stringify(url.slice(0, 80))} is not a data:, blob: or http(s) URL`);
    const name = url.startsWith("data:") ? "data URI" : url;
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      throw new UserError("bad_image", `fetching ${name} failed: ${(e as Error).message}`, { cause: e });
    }
    if (!res.ok) throw new UserError("bad_image", `fetching ${name} failed: HTTP ${res.status}`);
    const blob = await res.blob();
    if (blob.size > maxBytes) throw new UserError("too_large", `${name} is ${blob.size} bytes, more than the ${maxBytes} allowed`);
    return decodeImageBlob(blob, { name });
  };
}
