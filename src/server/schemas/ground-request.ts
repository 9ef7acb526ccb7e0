/**
 * The body of `POST /v1/ground` (TAG: attention-driven grounding). The image comes as the chat
 * endpoint's `image_url` (a string, or `{ url }` as in an `image_url` part); the TAG knobs are the
 * library's options in snake_case. Unknown fields are refused, as on the chat endpoint.
 */
const nullable = (s: Record<string, unknown>) => ({ ...s, type: [s.type as string, "null"] });

export const groundRequestSchema = {
  type: "object",
  required: ["image_url", "target"],
  additionalProperties: false,
  properties: {
    model: { type: "string", minLength: 1 },
    image_url: {
      type: ["string", "object"],
      minLength: 1,
      required: ["url"],
      additionalProperties: false,
      properties: {
        url: { type: "string", minLength: 1, description: "a data: URI, or an http(s) URL / local path where the server allows them" },
        detail: { enum: ["auto", "low", "high"] },
      },
      description: "the image: a data: URI (or an http(s) URL / local path where the server allows them), as a string or { \"url\": … }",
    },
    target: { type: "string", minLength: 1, maxLength: 1000, pattern: "\\S", description: "the phrase to locate, e.g. \"red circle\"" },
    question: nullable({ type: "string", minLength: 1, description: "the question the target's attention is read from; it must contain target; default \"Point to the <target>.\"" }),
    top_heads: nullable({ type: "integer", minimum: 1, description: "the number of (layer, head) pairs kept per target token; default 10" }),
    threshold: nullable({ type: "number", exclusiveMinimum: 0, maximum: 1, description: "share of the map's maximum a region starts at; default 0.5" }),
    max_slice_nums: nullable({ type: "integer", minimum: 1, description: "most slices the image is cut into; default 9" }),
  },
} as const;

/** A request body that passed `groundRequestSchema`. */
export interface GroundRequest {
  model?: string;
  image_url: string | { url: string; detail?: "auto" | "low" | "high" };
  target: string;
  question?: string | null;
  top_heads?: number | null;
  threshold?: number | null;
  max_slice_nums?: number | null;
}
