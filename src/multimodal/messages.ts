import type { RgbImage } from "./image/rgb-image.js";

/**
 * Chat messages shaped like OpenAI's: content is a string or a list of parts. `image_url` parts carry a
 * URL (data URI, http(s), or a local path where the interface allows it) resolved by an ImageResolver;
 * `image` parts carry decoded pixels (library callers who decode themselves).
 */
export type ContentPart =
  | { readonly type: "text"; readonly text: string }
  | { readonly type: "image_url"; readonly image_url: { readonly url: string } | string }
  | { readonly type: "image"; readonly image: RgbImage }
  | VideoPart;

/**
 * A video as decoded frames in time order (see `planVideoFrames` for which frames to take). With
 * `temporalIds` (MiniCPM-V 4.5's 3-D resampler: the frames' ids in 0.1 s steps, grouped), each group of
 * frames becomes one placeholder of Q rows; without, each frame is laid out as an image with no image
 * id. Frames are never sliced (the authors' `max_slice_nums` 1 for video).
 */
export interface VideoPart {
  readonly type: "video";
  readonly frames: readonly RgbImage[];
  readonly temporalIds?: readonly (readonly number[])[];
}

export type ChatRole = "system" | "user" | "assistant";

export interface ChatMessage {
  readonly role: ChatRole;
  readonly content: string | readonly ContentPart[];
}

/** Turns an image reference into pixels (Node: data URI / file / http; browser: fetch + canvas). */
export type ImageResolver = (url: string) => Promise<RgbImage>;

export function imageUrlOf(part: Extract<ContentPart, { type: "image_url" }>): string {
  return typeof part.image_url === "string" ? part.image_url : part.image_url.url;
}
