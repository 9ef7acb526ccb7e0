import { readFile, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { isUserError } from "../errors.js";
import { dataUriBytes } from "../node/image-resolver.js";
import { ApiError } from "./api-error.js";
import { fetchImageBytes } from "./fetch-image.js";
import { describeBytes, IMAGE_MIME_TYPES, sniffImageFormat } from "./image-type.js";

export interface ImageLimits {
  /** Most images in one request (all messages together). */
  readonly maxImages: number;
  /** Most encoded bytes per image (data URI payload, download, or file). */
  readonly maxBytes: number;
  /** Most pixels (width × height) per image, checked on the header before decoding. */
  readonly maxPixels: number;
  readonly allowLocalFiles: boolean;
  readonly allowRemote: boolean;
  /** Time limit of one image download. */
  readonly remoteTimeoutMs: number;
}

const MIME = /^data:([^;,]*)/;

/**
 * An `image_url` → the image's encoded bytes, checked without decoding pixels: where it may come from,
 * its size, its format (by signature), and its pixel count (from the header). `param` names the part.
 */
export async function imageBytes(url: string, limits: ImageLimits, param: string): Promise<Uint8Array> {
  const bytes = await fetchBytes(url, limits, param);
  if (bytes.length > limits.maxBytes) {
    throw new ApiError(400, `The image is ${bytes.length} bytes, more than the ${limits.maxBytes} allowed.`, "image_too_large", param);
  }
  if (sniffImageFormat(bytes) === null) {
    throw new ApiError(400, `The image is not PNG, JPEG, WebP, GIF or TIFF (got ${describeBytes(bytes)}).`, "unsupported_image_type", param);
  }
  const meta = await sharp(bytes, { limitInputPixels: false, pages: 1 }).metadata().catch(() => null);
  if (meta === null) throw new ApiError(400, "The image cannot be decoded (corrupt or truncated header).", "invalid_image", param);
  const h = meta.pageHeight ?? meta.height;
  if (meta.width * h > limits.maxPixels) {
    throw new ApiError(400, `The image is ${meta.width}x${h} = ${meta.width * h} pixels, more than the ${limits.maxPixels} allowed.`, "image_too_large", param);
  }
  return bytes;
}

/**
 * A `video_url` → the animation's bytes, checked like an image's (source, size, format, pixels per
 * frame) and for being animated: an animated GIF or WebP.
 */
export async function videoBytes(url: string, limits: ImageLimits, param: string): Promise<Uint8Array> {
  const bytes = await fetchBytes(url, limits, param);
  if (bytes.length > limits.maxBytes) {
    throw new ApiError(400, `The video is ${bytes.length} bytes, more than the ${limits.maxBytes} allowed.`, "video_too_large", param);
  }
  const format = sniffImageFormat(bytes);
  if (format !== "gif" && format !== "webp") {
    throw new ApiError(400, `The video must be an animated GIF or WebP (got ${format ?? describeBytes(bytes)}).`, "unsupported_video_type", param);
  }
  const meta = await sharp(bytes, { limitInputPixels: false, animated: true }).metadata().catch(() => null);
  if (meta === null) throw new ApiError(400, "The video cannot be decoded (corrupt or truncated header).", "invalid_video", param);
  if ((meta.pages ?? 1) < 2) throw new ApiError(400, `The ${format.toUpperCase()} has one frame: send it as an image_url.`, "invalid_video", param);
  const h = meta.pageHeight ?? meta.height;
  if (meta.width * h > limits.maxPixels) {
    throw new ApiError(400, `The video's frames are ${meta.width}x${h} = ${meta.width * h} pixels, more than the ${limits.maxPixels} allowed.`, "video_too_large", param);
  }
  return bytes;
}

async function fetchBytes(url: string, limits: ImageLimits, param: string): Promise<Uint8Array> {
  if (url.startsWith("data:")) return dataBytes(url, param);
  if (/^https?:\/\//i.test(url)) {
    if (!limits.allowRemote) throw new ApiError(400, "Image URLs over http(s) are not enabled on this server (start it with --allow-remote-images); send a data: URI instead.", "image_url_not_allowed", param);
    return fetchImageBytes(url, limits.maxBytes, limits.remoteTimeoutMs, param);
  }
  if (!limits.allowLocalFiles) {
    throw new ApiError(400, `The image URL ${JSON.stringify(url.slice(0, 60))} is not a data: URI${limits.allowRemote ? " or http(s) URL" : ""}; local paths are not enabled on this server (--allow-local-files).`, "image_url_not_allowed", param);
  }
  let path = url;
  if (url.startsWith("file:")) {
    try { path = fileURLToPath(url); } catch (e) { throw new ApiError(400, `The file URL is not valid: ${(e as Error).message}.`, "invalid_image_url", param); }
  }
  const size = await stat(path).then((s) => (s.isFile() ? s.size : -1), () => -1);
  if (size < 0) throw new ApiError(400, `The image file ${path} cannot be read.`, "invalid_image_url", param);
  if (size > limits.maxBytes) throw new ApiError(400, `The image file ${path} is ${size} bytes, more than the ${limits.maxBytes} allowed.`, "image_too_large", param);
  return readFile(path).catch((e: Error) => { throw new ApiError(400, `The image file ${path} cannot be read: ${e.message}.`, "invalid_image_url", param); });
}

function dataBytes(url: string, param: string): Uint8Array {
  const mime = MIME.exec(url)?.[1].toLowerCase() ?? "";
  if (mime !== "" && !(IMAGE_MIME_TYPES as readonly string[]).includes(mime)) {
    throw new ApiError(400, `The data URI has type ${JSON.stringify(mime.slice(0, 40))}; supported image types are PNG, JPEG, WebP, GIF and TIFF.`, "unsupported_image_type", param);
  }
  try {
    return dataUriBytes(url);
  } catch (e) {
    if (isUserError(e)) throw new ApiError(400, `The image data URI is malformed: ${e.message}.`, "invalid_data_uri", param);
    throw e;
  }
}
