/**
 * JSON schemas of OpenAI chat messages as this server accepts them: system / developer / user /
 * assistant roles; text parts everywhere, `image_url` and `video_url` parts in user messages only. Roles and part types
 * are tagged unions (ajv's `discriminator`), so an error names the one branch that was meant.
 */

const textPart = {
  type: "object",
  required: ["type", "text"],
  additionalProperties: false,
  properties: {
    type: { const: "text" },
    text: { type: "string" },
  },
} as const;

const imagePart = {
  type: "object",
  required: ["type", "image_url"],
  additionalProperties: false,
  properties: {
    type: { const: "image_url" },
    image_url: {
      type: "object",
      required: ["url"],
      additionalProperties: false,
      properties: {
        url: { type: "string", minLength: 1, description: "a data: URI, or an http(s) URL / local path where the server allows them" },
        detail: { enum: ["auto", "low", "high"] },
      },
    },
  },
} as const;

/** A video (vLLM's `video_url` part): an animated GIF or WebP, as a data: URI or where the server allows URLs. */
const videoPart = {
  type: "object",
  required: ["type", "video_url"],
  additionalProperties: false,
  properties: {
    type: { const: "video_url" },
    video_url: {
      type: "object",
      required: ["url"],
      additionalProperties: false,
      properties: {
        url: { type: "string", minLength: 1, description: "an animated GIF or WebP: a data: URI, or an http(s) URL / local path where the server allows them" },
      },
    },
  },
} as const;

/** Content made of text only: a string or a non-empty list of text parts. */
const textContent = {
  type: ["string", "array"],
  minItems: 1,
  items: {
    type: "object", required: ["type"], discriminator: { propertyName: "type" }, oneOf: [textPart],
    description: "system, developer and assistant messages hold text only; images go in user messages",
  },
} as const;

const userContent = {
  type: ["string", "array"],
  minItems: 1,
  items: { type: "object", required: ["type"], discriminator: { propertyName: "type" }, oneOf: [textPart, imagePart, videoPart] },
} as const;

function message(role: string, content: object, extra: Record<string, object> = {}) {
  return {
    type: "object",
    required: ["role", "content"],
    additionalProperties: false,
    properties: { role: { const: role }, content, name: { type: "string" }, ...extra },
  } as const;
}

export const messageSchema = {
  type: "object",
  required: ["role"],
  discriminator: { propertyName: "role" },
  oneOf: [
    message("system", textContent),
    message("developer", textContent),
    message("user", userContent),
    message("assistant", textContent, { refusal: { type: "null" } }),
  ],
} as const;

/** What a validated message looks like. */
export type ApiTextPart = { type: "text"; text: string };
export type ApiImagePart = { type: "image_url"; image_url: { url: string; detail?: "auto" | "low" | "high" } };
export type ApiVideoPart = { type: "video_url"; video_url: { url: string } };
export interface ApiMessage {
  role: "system" | "developer" | "user" | "assistant";
  content: string | (ApiTextPart | ApiImagePart | ApiVideoPart)[];
  name?: string;
}
