import { messageSchema, type ApiMessage } from "./messages.js";

/**
 * The body of `POST /v1/chat/completions`. Unknown fields are refused (as OpenAI does), so a client
 * asking for something this server does not do (tools, logprobs, n > 1) hears so instead of being
 * silently ignored. `description`s are appended to validation messages as hints.
 */
const nullable = (s: Record<string, unknown>) => ({ ...s, type: [s.type as string, "null"] });

const responseFormat = {
  type: "object",
  required: ["type"],
  discriminator: { propertyName: "type" },
  oneOf: [
    { type: "object", additionalProperties: false, properties: { type: { const: "text" } } },
    { type: "object", additionalProperties: false, properties: { type: { const: "json_object" } } },
    {
      type: "object",
      additionalProperties: false,
      required: ["type", "json_schema"],
      properties: {
        type: { const: "json_schema" },
        json_schema: {
          type: "object",
          additionalProperties: false,
          required: ["name"],
          properties: {
            name: { type: "string", pattern: "^[a-zA-Z0-9_-]{1,64}$", description: "1 to 64 letters, digits, _ or -" },
            description: { type: "string" },
            schema: { type: ["object", "boolean"] },
            strict: { type: ["boolean", "null"] },
          },
        },
      },
    },
  ],
} as const;

/** FrameFusion (the library's `FrameFusionOptions`, snake_case): true for its defaults, or some of its knobs. */
const frameFusion = {
  type: ["boolean", "object", "null"],
  additionalProperties: false,
  properties: {
    cost: { type: "number", exclusiveMinimum: 0, maximum: 1, description: "the share of the video rows' LLM compute to keep, over all layers; default 0.3" },
    similarity: { type: "number", description: "cosine similarity from which a row merges into the previous frame's; default 0.7, above 1 no merging" },
    ratio_lower_bound: { type: "number", minimum: 0, maximum: 1, description: "merging ends after a round that merges less than this share of the video rows; default 0.1" },
  },
  description: "true, or an object with cost, similarity, ratio_lower_bound",
} as const;

export const chatRequestSchema = {
  type: "object",
  required: ["messages"],
  additionalProperties: false,
  properties: {
    model: { type: "string", minLength: 1 },
    messages: { type: "array", minItems: 1, items: messageSchema },
    stream: nullable({ type: "boolean" }),
    stream_options: {
      type: ["object", "null"],
      additionalProperties: false,
      properties: { include_usage: { type: "boolean" } },
    },
    temperature: nullable({ type: "number", minimum: 0, maximum: 2 }),
    top_p: nullable({ type: "number", minimum: 0, maximum: 1 }),
    max_tokens: nullable({ type: "integer", minimum: 1 }),
    max_completion_tokens: nullable({ type: "integer", minimum: 1 }),
    stop: {
      type: ["string", "array", "null"],
      minLength: 1,
      maxItems: 4,
      items: { type: "string", minLength: 1 },
      description: "a string or up to 4 strings",
    },
    seed: nullable({ type: "integer" }),
    n: nullable({ type: "integer", minimum: 1, maximum: 1, description: "only n = 1 is supported" }),
    frequency_penalty: nullable({ type: "number", minimum: 0, maximum: 0, description: "not supported; only 0" }),
    presence_penalty: nullable({ type: "number", minimum: 0, maximum: 0, description: "not supported; only 0" }),
    logprobs: nullable({ type: "boolean", const: false, description: "log probabilities are not supported" }),
    response_format: responseFormat,
    user: { type: "string" },
    // llama.cpp-style extensions
    top_k: nullable({ type: "integer", minimum: 0 }),
    min_p: nullable({ type: "number", minimum: 0, maximum: 1 }),
    repetition_penalty: nullable({ type: "number", exclusiveMinimum: 0 }),
    // pocketvlm extension: FrameFusion on the request's video
    frame_fusion: frameFusion,
    // pocketvlm extension: how <box> / <point> numbers are decoded under greedy decoding
    coordinates: { type: ["string", "null"], enum: ["median", "greedy", null] },
  },
  if: { required: ["stream_options"], properties: { stream_options: { type: "object" } } },
  then: {
    description: "stream_options is only allowed when stream is true",
    required: ["stream"],
    properties: { stream: { const: true, description: "stream_options is only allowed when stream is true" } },
  },
} as const;

export type ResponseFormat =
  | { type: "text" }
  | { type: "json_object" }
  | { type: "json_schema"; json_schema: { name: string; description?: string; schema?: object | boolean; strict?: boolean | null } };

/** A request body that passed `chatRequestSchema`. */
export interface ChatRequest {
  model?: string;
  messages: ApiMessage[];
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  temperature?: number | null;
  top_p?: number | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  stop?: string | string[] | null;
  seed?: number | null;
  n?: number | null;
  response_format?: ResponseFormat;
  user?: string;
  top_k?: number | null;
  min_p?: number | null;
  repetition_penalty?: number | null;
  frame_fusion?: boolean | FrameFusionField | null;
  coordinates?: "median" | "greedy" | null;
}

/** The object form of `frame_fusion`. */
export interface FrameFusionField {
  cost?: number;
  similarity?: number;
  ratio_lower_bound?: number;
}
