import { UserError } from "../errors.js";
import type { PromptSegment } from "../runtime/prompt.js";
import type { RgbImage } from "./image/rgb-image.js";
import { imageUrlOf, type ChatMessage, type ImageResolver, type VideoPart } from "./messages.js";
import {
  AUTHORS_IMAGE_MARKER,
  LLAMACPP_MEDIA_MARKER,
  imagePlaceholder,
  type PlaceholderSchema,
  type PlaceholderStyle,
} from "./placeholder.js";

/** One image ready for the prompt: its grid and one `[Q, D]` block of rows per crop. */
export interface EncodedImage {
  readonly grid: readonly [number, number] | null;
  readonly crops: readonly Float32Array[];
  /** Identity of the image's rows (content hash + encoding options). */
  readonly key: string;
}

/** One video ready for the prompt: one `[Q, D]` block of rows per group of frames (per frame without temporal ids). */
export interface EncodedVideo {
  readonly groups: readonly Float32Array[];
  /** Frames in each group, in order (sums to the frame count). */
  readonly groupSizes: readonly number[];
  readonly key: string;
}

export interface ChatPromptDeps {
  /** Renders the chat template over messages whose content is plain text. */
  renderTemplate(messages: { role: string; content: string }[]): string;
  /** llama_tokenize(text, addSpecial, parseSpecial = true). */
  encode(text: string, addSpecial: boolean): number[];
  /** Crops + vision encoder + resampler for one image (the k-th in the conversation). */
  encodeImage(image: RgbImage, index: number): Promise<EncodedImage>;
  /** Frames + vision encoder + (3-D) resampler for one video (the k-th in the conversation). */
  encodeVideo?(video: VideoPart, index: number): Promise<EncodedVideo>;
  resolveImage?: ImageResolver;
}

export interface ChatPromptOptions {
  readonly schema: PlaceholderSchema;
  /** "authors": the authors' chat(): parts joined by "\n", `<image_id>` numbering (V2.6+);
   *  "llamacpp": llama.cpp mtmd: parts concatenated, no `<image_id>`. */
  readonly style: PlaceholderStyle;
  /** `<image_id>k</image_id>` before each image (authors' style, V2.6+). Default true. */
  readonly useImageId?: boolean;
  /** Rows per crop (resampler queries). */
  readonly queryNum: number;
}

export interface ChatPromptLayout {
  readonly segments: PromptSegment[];
  /** Where each image's crops landed: [imageIndex, cropIndex, firstRow]. */
  readonly imageRows: { image: number; crop: number; start: number; n: number }[];
  /** Where each video's frame groups landed. */
  readonly videoRows: { video: number; group: number; start: number; n: number }[];
  readonly text: string;
}

/** What each marker in the rendered text stands for. */
type Slot = { readonly kind: "image"; readonly image: number } | { readonly kind: "frame"; readonly video: number; readonly frame: number };

/**
 * Messages → the prompt the LLM sees. Each image part becomes the marker, the template is rendered
 * over the text, then each marker is expanded into the image's placeholder with its crops' rows.
 * A video part puts one marker per frame (as the authors' chat() gets frames); the first frame of each
 * group expands to the group's placeholder, the others vanish with the whitespace after them.
 */
export async function buildChatPrompt(messages: readonly ChatMessage[], deps: ChatPromptDeps, opts: ChatPromptOptions): Promise<ChatPromptLayout> {
  if (messages.length === 0) throw new UserError("bad_argument", "messages must not be empty");
  const marker = opts.style === "authors" ? AUTHORS_IMAGE_MARKER : LLAMACPP_MEDIA_MARKER;
  const joiner = opts.style === "authors" ? "\n" : "";
  const images: RgbImage[] = [];
  const videos: VideoPart[] = [];
  const slots: Slot[] = [];
  const flat: { role: string; content: string }[] = [];
  for (const [i, m] of messages.entries()) {
    if (!["system", "user", "assistant"].includes(m.role)) {
      throw new UserError("bad_argument", `messages[${i}].role must be system, user or assistant, got ${JSON.stringify(m.role)}`);
    }
    if (typeof m.content === "string") {
      flat.push({ role: m.role, content: m.content });
      continue;
    }
    if (!Array.isArray(m.content)) throw new UserError("bad_argument", `messages[${i}].content must be a string or a list of parts`);
    const parts: string[] = [];
    for (const [j, p] of m.content.entries()) {
      if (p.type === "text") parts.push(p.text);
      else if (p.type === "video") {
        if (m.role !== "user") throw new UserError("bad_argument", `messages[${i}]: videos are only allowed in user messages`);
        if (!deps.encodeVideo) throw new UserError("bad_argument", `messages[${i}].content[${j}]: videos are not accepted here`);
        if (!Array.isArray(p.frames) || p.frames.length === 0) throw new UserError("bad_argument", `messages[${i}].content[${j}]: a video needs at least one frame`);
        for (let f = 0; f < p.frames.length; f++) { slots.push({ kind: "frame", video: videos.length, frame: f }); parts.push(marker); }
        videos.push(p);
      } else if (p.type === "image" || p.type === "image_url") {
        if (m.role !== "user") throw new UserError("bad_argument", `messages[${i}]: images are only allowed in user messages`);
        if (p.type === "image") images.push(p.image);
        else {
          if (!deps.resolveImage) throw new UserError("bad_argument", `messages[${i}].content[${j}]: image URLs are not accepted here`);
          images.push(await deps.resolveImage(imageUrlOf(p)));
        }
        slots.push({ kind: "image", image: images.length - 1 });
        parts.push(marker);
      } else {
        throw new UserError("bad_argument", `messages[${i}].content[${j}]: unknown part type ${JSON.stringify((p as { type: unknown }).type)}`);
      }
    }
    flat.push({ role: m.role, content: parts.join(joiner) });
  }
  const text = deps.renderTemplate(flat);
  const pieces = text.split(marker);
  if (pieces.length - 1 !== slots.length) {
    throw new UserError("bad_argument", `the prompt text contains the image marker ${JSON.stringify(marker)} itself; remove it from the messages`);
  }

  const segments: PromptSegment[] = [];
  const imageRows: ChatPromptLayout["imageRows"] = [];
  const videoRows: ChatPromptLayout["videoRows"] = [];
  const encodedVideos: EncodedVideo[] = [];
  let pendingText = pieces[0];
  let rows = 0;
  let first = true;
  const flushText = () => {
    if (pendingText.length === 0 && !first) return;
    const ids = deps.encode(pendingText, first);
    first = false;
    pendingText = "";
    if (ids.length) { segments.push({ kind: "tokens", ids }); rows += ids.length; }
  };
  /** Flushes the pending text, then appends one block of rows; returns the block's first row. */
  const placeRows = (block: Float32Array | undefined, key: string, what: string): number => {
    if (!block) throw new Error(`${what}: no features`);
    flushText();
    segments.push({ kind: "embeddings", rows: block, n: opts.queryNum, key });
    rows += opts.queryNum;
    return rows - opts.queryNum;
  };
  for (const [m, slot] of slots.entries()) {
    let after = pieces[m + 1];
    if (slot.kind === "image") {
      const k = slot.image;
      const enc = await deps.encodeImage(images[k], k);
      const layout = imagePlaceholder(enc.grid, {
        schema: opts.schema,
        style: opts.style,
        imageId: opts.useImageId === false ? null : k,
      });
      for (const piece of layout) {
        if (piece.kind === "text") { pendingText += piece.text; continue; }
        const start = placeRows(enc.crops[piece.crop], `${enc.key}/${piece.crop}`, `image ${k} crop ${piece.crop}`);
        imageRows.push({ image: k, crop: piece.crop, start, n: opts.queryNum });
      }
    } else {
      const v = slot.video;
      if (slot.frame === 0) encodedVideos[v] = await deps.encodeVideo!(videos[v], v);
      const enc = encodedVideos[v];
      const group = groupStartingAt(enc.groupSizes, slot.frame);
      if (group < 0) after = after.trimStart();
      else {
        for (const piece of imagePlaceholder(null, { schema: opts.schema, style: opts.style, imageId: null })) {
          if (piece.kind === "text") { pendingText += piece.text; continue; }
          const start = placeRows(enc.groups[group], `${enc.key}/${group}`, `video ${v} group ${group}`);
          videoRows.push({ video: v, group, start, n: opts.queryNum });
        }
      }
    }
    pendingText += after;
  }
  flushText();
  return { segments, imageRows, videoRows, text };
}

/** The group whose first frame is `frame`, or -1 when the frame is inside a group. */
function groupStartingAt(sizes: readonly number[], frame: number): number {
  let start = 0;
  for (const [g, n] of sizes.entries()) {
    if (start === frame) return g;
    start += n;
    if (start > frame) return -1;
  }
  return -1;
}
