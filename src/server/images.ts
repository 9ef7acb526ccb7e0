import { stat } from "node:fs/promises";
import sharp from "sharp";
import { isUserError } from "../errors.js";
import type { ChatMessage, ContentPart } from "../multimodal/messages.js";
import type { RgbImage } from "../multimodal/image/rgb-image.js";
import { decodeImage, decodeImageFile } from "../node/image-decode.js";
import { dataUriBytes, nodeImageResolver } from "../node/image-resolver.js";
import { ApiError } from "./api-error.js";
import { describeBytes, IMAGE_MIME_TYPES, sniffImageFormat } from "./image-type.js";
import type { ApiMessage } from "./schemas/messages.js";

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
 * Turns request messages into library messages: `developer` becomes `system`, and every `image_url` is
 * fetched, checked (count, bytes, pixels, format) and decoded here — before the request queues for the
 * model — so a bad image is a prompt 400 that names the part.
 */
export async function resolveMessages(messages: readonly ApiMessage[], limits: ImageLimits): Promise<{ messages: ChatMessage[]; images: number }> {
  let count = 0;
  for (const m of messages) if (Array.isArray(m.content)) for (const p of m.content) if (p.type === "image_url") count++;
  if (count > limits.maxImages) {
    throw new ApiError(400, `The request has ${count} images; this server accepts at most ${limits.maxImages} per request.`, "too_many_images", "messages");
  }
  const remote = nodeImageResolver({ allowRemote: true, maxBytes: limits.maxBytes, timeoutMs: limits.remoteTimeoutMs, maxPixels: limits.maxPixels });
  const out: ChatMessage[] = [];
  for (const [i, m] of messages.entries()) {
    const role = m.role === "developer" ? "system" : m.role;
    if (typeof m.content === "string") { out.push({ role, content: m.content }); continue; }
    const parts: ContentPart[] = [];
    for (const [j, p] of m.content.entries()) {
      if (p.type === "text") { parts.push(p); continue; }
      const param = `messages[${i}].content[${j}].image_url.url`;
      parts.push({ type: "image", image: await resolveOne(p.image_url.url, limits, remote, param) });
    }
    out.push({ role, content: parts });
  }
  return { messages: out, images: count };
}

async function resolveOne(url: string, limits: ImageLimits, remote: (u: string) => Promise<RgbImage>, param: string): Promise<RgbImage> {
  if (url.startsWith("data:")) return decodeChecked(dataBytes(url, param), limits, param);
  if (/^https?:\/\//i.test(url)) {
    if (!limits.allowRemote) throw new ApiError(400, "Image URLs over http(s) are not enabled on this server (start it with --allow-remote-images), send a data: URI instead.", "image_url_not_allowed", param);
    return mapImageErrors(() => remote(url), param);
  }
  if (!limits.allowLocalFiles) {
    throw new ApiError(400, `The image URL ${JSON.stringify(url.slice(0, 60))} is not a data: URI${limits.allowRemote ? " or http(s) URL" : ""}; local paths are not enabled on this server (--allow-local-files).`, "image_url_not_allowed", param);
  }
  const path = url.startsWith("file://") ? new URL(url).pathname : url;
  const size = await stat(path).then((s) => s.size, () => -1);
  if (size < 0) throw new ApiError(400, `The image file ${path} cannot be read.`, "invalid_image_url", param);
  if (size > limits.maxBytes) throw new ApiError(400, `The image file ${path} is ${size} bytes, more than the ${limits.maxBytes} allowed.`, "image_too_large", param);
  return mapImageErrors(() => decodeImageFile(path, { maxPixels: limits.maxPixels }), param);
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

async function decodeChecked(bytes: Uint8Array, limits: ImageLimits, param: string): Promise<RgbImage> {
  if (bytes.length > limits.maxBytes) {
    throw new ApiError(400, `The image is ${bytes.length} bytes, more than the ${limits.maxBytes} allowed.`, "image_too_large", param);
  }
  if (sniffImageFormat(bytes) === null) {
    throw new ApiError(400, `The image is not PNG, JPEG, WebP, GIF or TIFF (got ${describeBytes(bytes)}).`, "unsupported_image_type", param);
  }
  const meta = await sharp(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { limitInputPixels: false, pages: 1 }).metadata().catch(() => null);
  if (meta === null) throw new ApiError(400, "The image cannot be decoded (corrupt or truncated header).", "invalid_image", param);
  const pixels = meta.width * (meta.pageHeight ?? meta.height);
  if (pixels > limits.maxPixels) {
    throw new ApiError(400, `The image is ${meta.width}x${meta.pageHeight ?? meta.height} = ${pixels} pixels, more than the ${limits.maxPixels} allowed.`, "image_too_large", param);
  }
  return mapImageErrors(() => decodeImage(bytes, { maxPixels: limits.maxPixels, name: "image" }), param);
}

async function mapImageErrors(f: () => Promise<RgbImage>, param: string): Promise<RgbImage> {
  try {
    return await f();
  } catch (e) {
    if (!isUserError(e)) throw e;
    const tooLarge = e.code === "too_large" || /exceeds the limit/.test(e.message);
    throw new ApiError(400, e.message, tooLarge ? "image_too_large" : e.code === "missing" ? "invalid_image_url" : "invalid_image", param);
  }
}
