import { isUserError } from "../errors.js";
import type { RgbImage } from "../multimodal/image/rgb-image.js";
import type { ChatMessage, ChatRole, ContentPart } from "../multimodal/messages.js";
import { decodeImage } from "../node/image-decode.js";
import { openAnimationBytes, videoPartOf, videoPlanOf } from "../node/video-decode.js";
import { ApiError } from "./api-error.js";
import { imageBytes, videoBytes, type ImageLimits } from "./image-bytes.js";
import type { ApiMessage } from "./schemas/messages.js";

export type { ImageLimits } from "./image-bytes.js";

/** An image part whose bytes have been fetched and checked, not yet decoded. */
export interface PendingImage { readonly type: "pending_image"; readonly bytes: Uint8Array; readonly param: string }
/** A video part (animated GIF / WebP) fetched and checked, not yet decoded. */
export interface PendingVideo { readonly type: "pending_video"; readonly bytes: Uint8Array; readonly param: string }
export interface PendingMessage {
  readonly role: ChatRole;
  readonly content: string | readonly ({ type: "text"; text: string } | PendingImage | PendingVideo)[];
}

/**
 * Request messages → messages whose images are fetched and checked (count, bytes, format, pixels) but
 * kept encoded: this runs when the request arrives, so a bad image is a prompt 400 that names the
 * part, while a queued request holds only compressed bytes. `developer` becomes `system`.
 */
export async function resolveMessages(messages: readonly ApiMessage[], limits: ImageLimits): Promise<{ messages: PendingMessage[]; images: number }> {
  let count = 0;
  let videos = 0;
  for (const m of messages) if (Array.isArray(m.content)) for (const p of m.content) if (p.type === "image_url") count++; else if (p.type === "video_url") videos++;
  count += videos; // a video counts as one image towards the limit
  if (count > limits.maxImages) {
    throw new ApiError(400, `The request has ${count} images${videos ? " and videos" : ""}; this server accepts at most ${limits.maxImages} per request.`, "too_many_images", "messages");
  }
  const out: PendingMessage[] = [];
  for (const [i, m] of messages.entries()) {
    const role = m.role === "developer" ? "system" : m.role;
    if (typeof m.content === "string") { out.push({ role, content: m.content }); continue; }
    const parts: ({ type: "text"; text: string } | PendingImage | PendingVideo)[] = [];
    for (const [j, p] of m.content.entries()) {
      if (p.type === "text") { parts.push(p); continue; }
      if (p.type === "video_url") {
        const param = `messages[${i}].content[${j}].video_url.url`;
        parts.push({ type: "pending_video", bytes: await videoBytes(p.video_url.url, limits, param), param });
        continue;
      }
      const param = `messages[${i}].content[${j}].image_url.url`;
      parts.push({ type: "pending_image", bytes: await imageBytes(p.image_url.url, limits, param), param });
    }
    out.push({ role, content: parts });
  }
  return { messages: out, images: count };
}

/** How videos become rows: grouped for a 3-D resampler or not, rows per group, and the context they must fit. */
export interface VideoRows {
  readonly temporal: boolean;
  readonly rowsPerGroup: number;
  readonly contextLength: number;
}

/**
 * Decodes the images of checked messages (runs while the request holds the model: one at a time).
 * A video's frames are sampled as the authors do; videos whose rows alone do not fit the context are
 * refused from their frame plan, before any frame is decoded.
 */
export async function decodeMessages(messages: readonly PendingMessage[], maxPixels: number, video: VideoRows): Promise<ChatMessage[]> {
  const out: ChatMessage[] = [];
  let videoRows = 0;
  for (const m of messages) {
    if (typeof m.content === "string") { out.push({ role: m.role, content: m.content }); continue; }
    const parts: ContentPart[] = [];
    for (const p of m.content) {
      if (p.type === "text") { parts.push(p); continue; }
      try {
        if (p.type === "pending_video") {
          const source = await openAnimationBytes(p.bytes, "video", maxPixels);
          const plan = videoPlanOf(source, { temporal: video.temporal });
          videoRows += plan.temporalIds.length * video.rowsPerGroup;
          if (videoRows >= video.contextLength) {
            throw new ApiError(400,
              `This model's maximum context length is ${video.contextLength} tokens. However, the video frames alone take ${videoRows} tokens. Please send a shorter video.`,
              "context_length_exceeded", "messages");
          }
          parts.push(await videoPartOf(source, { temporal: video.temporal }, plan));
          continue;
        }
        parts.push({ type: "image", image: await decodePendingImage(p, maxPixels) });
      } catch (e) {
        if (isUserError(e)) throw new ApiError(400, e.message, p.type === "pending_video" ? "invalid_video" : "invalid_image", p.param);
        throw e;
      }
    }
    out.push({ role: m.role, content: parts });
  }
  return out;
}

/**
 * Decodes one checked image (runs while the request holds the model). A file whose body is corrupt
 * behind a good header is a 400 `invalid_image` naming the part.
 */
export async function decodePendingImage(p: PendingImage, maxPixels: number): Promise<RgbImage> {
  try {
    return await decodeImage(p.bytes, { maxPixels, name: "image" });
  } catch (e) {
    if (isUserError(e)) throw new ApiError(400, e.message, "invalid_image", p.param);
    throw e;
  }
}
