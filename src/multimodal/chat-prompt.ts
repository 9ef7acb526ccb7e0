import { UserError } from "../errors.js";
import type { PromptSegment } from "../runtime/prompt.js";
import type { RgbImage } from "./image/rgb-image.js";
import { imageUrlOf, type ChatMessage, type ImageResolver } from "./messages.js";
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

export interface ChatPromptDeps {
  /** Renders the chat template over messages whose content is plain text. */
  renderTemplate(messages: { role: string; content: string }[]): string;
  /** llama_tokenize(text, addSpecial, parseSpecial = true). */
  encode(text: string, addSpecial: boolean): number[];
  /** Crops + vision encoder + resampler for one image (the k-th in the conversation). */
  encodeImage(image: RgbImage, index: number): Promise<EncodedImage>;
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
  readonly text: string;
}

/**
 * Messages → the prompt the LLM sees. Each image part becomes the marker, the template is rendered
 * over the text, then each marker is expanded into the image's placeholder with its crops' rows.
 */
export async function buildChatPrompt(messages: readonly ChatMessage[], deps: ChatPromptDeps, opts: ChatPromptOptions): Promise<ChatPromptLayout> {
  if (messages.length === 0) throw new UserError("bad_argument", "messages must not be empty");
  const marker = opts.style === "authors" ? AUTHORS_IMAGE_MARKER : LLAMACPP_MEDIA_MARKER;
  const joiner = opts.style === "authors" ? "\n" : "";
  const images: RgbImage[] = [];
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
      else if (p.type === "image" || p.type === "image_url") {
        if (m.role !== "user") throw new UserError("bad_argument", `messages[${i}]: images are only allowed in user messages`);
        if (p.type === "image") images.push(p.image);
        else {
          if (!deps.resolveImage) throw new UserError("bad_argument", `messages[${i}].content[${j}]: image URLs are not accepted here`);
          images.push(await deps.resolveImage(imageUrlOf(p)));
        }
        parts.push(marker);
      } else {
        throw new UserError("bad_argument", `messages[${i}].content[${j}]: unknown part type ${JSON.stringify((p as { type: unknown }).type)}`);
      }
    }
    flat.push({ role: m.role, content: parts.join(joiner) });
  }
  const text = deps.renderTemplate(flat);
  const pieces = text.split(marker);
  if (pieces.length - 1 !== images.length) {
    throw new UserError("bad_argument", `the prompt text contains the image marker ${JSON.stringify(marker)} itself; remove it from the messages`);
  }

  const segments: PromptSegment[] = [];
  const imageRows: ChatPromptLayout["imageRows"] = [];
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
  for (let k = 0; k < images.length; k++) {
    const enc = await deps.encodeImage(images[k], k);
    const layout = imagePlaceholder(enc.grid, {
      schema: opts.schema,
      style: opts.style,
      imageId: opts.useImageId === false ? null : k,
    });
    for (const piece of layout) {
      if (piece.kind === "text") { pendingText += piece.text; continue; }
      flushText();
      const block = enc.crops[piece.crop];
      if (!block) throw new Error(`image ${k}: no features for crop ${piece.crop}`);
      segments.push({ kind: "embeddings", rows: block, n: opts.queryNum, key: `${enc.key}/${piece.crop}` });
      imageRows.push({ image: k, crop: piece.crop, start: rows, n: opts.queryNum });
      rows += opts.queryNum;
    }
    pendingText += pieces[k + 1];
  }
  flushText();
  return { segments, imageRows, text };
}
