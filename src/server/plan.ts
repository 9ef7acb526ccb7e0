import { isUserError } from "../errors.js";
import { createJsonConstraint, schemaOfResponseFormat, type ConstraintVocab } from "../runtime/constraints/index.js";
import type { GenerateOptions, TokenConstraint } from "../runtime/generation.js";
import type { SamplingOptions } from "../runtime/sampling.js";
import { ApiError } from "./api-error.js";
import type { FrameFusionOptions } from "../multimodal/video/framefusion.js";
import type { ChatRequest } from "./schemas/chat-request.js";

/** How one validated request is to be generated. */
export interface CompletionPlan {
  readonly stream: boolean;
  readonly includeUsage: boolean;
  /** Without signal; the caller adds the request's. */
  readonly generate: Omit<GenerateOptions, "signal">;
  /** FrameFusion on the request's one video (`frame_fusion`), or none. */
  readonly frameFusion?: FrameFusionOptions;
}

export interface PlanDefaults {
  /** max_tokens when the request gives none. */
  readonly maxTokens: number;
  /** temperature when the request gives none (OpenAI's default is 1). */
  readonly temperature: number;
}

/**
 * Request fields → generation options, with OpenAI's meanings: no top-k / min-p unless asked
 * (llama.cpp-style extensions), top_p 1, seed folded to 32 bits, stop as a list, and a fresh JSON
 * constraint for `response_format` json_object / json_schema (grammar-masked sampling).
 */
export function planCompletion(body: ChatRequest, vocab: ConstraintVocab, defaults: PlanDefaults): CompletionPlan {
  let temperature = body.temperature ?? defaults.temperature;
  const topP = body.top_p ?? 1;
  if (topP === 0) temperature = 0; // only the most likely token is left: greedy
  const sampling: SamplingOptions = {
    temperature,
    topP: topP === 0 ? 1 : topP,
    topK: body.top_k ?? 0,
    minP: body.min_p ?? 0,
    repetitionPenalty: body.repetition_penalty ?? 1,
    seed: body.seed === undefined || body.seed === null ? undefined : ((body.seed % 2 ** 32) + 2 ** 32) % 2 ** 32,
  };
  const stop = body.stop === undefined || body.stop === null ? [] : typeof body.stop === "string" ? [body.stop] : body.stop;
  return {
    stream: body.stream === true,
    includeUsage: body.stream === true && body.stream_options?.include_usage === true,
    generate: {
      maxTokens: body.max_completion_tokens ?? body.max_tokens ?? defaults.maxTokens,
      sampling,
      stop,
      constraint: constraintOf(body, vocab),
      coordinates: body.coordinates ?? undefined,
    },
    frameFusion: frameFusionOf(body),
  };
}

/**
 * `frame_fusion` → the library's options (snake_case → camelCase), refused at once when the request has
 * no video, or several, to work on (FrameFusion works over one video's frame groups).
 */
function frameFusionOf(body: ChatRequest): FrameFusionOptions | undefined {
  const f = body.frame_fusion;
  if (f === undefined || f === null || f === false) return undefined;
  let videos = 0;
  for (const m of body.messages) if (Array.isArray(m.content)) for (const p of m.content) if (p.type === "video_url") videos++;
  if (videos !== 1) {
    throw new ApiError(400, videos === 0
      ? "frame_fusion works on a video, and the request has no video_url part; leave frame_fusion out or send a video."
      : `frame_fusion works on one video, and the request has ${videos} video_url parts.`, "invalid_value", "frame_fusion");
  }
  if (f === true) return {};
  return { cost: f.cost, similarity: f.similarity, ratioLowerBound: f.ratio_lower_bound };
}

function constraintOf(body: ChatRequest, vocab: ConstraintVocab): TokenConstraint | undefined {
  const param = body.response_format?.type === "json_schema" ? "response_format.json_schema.schema" : "response_format";
  try {
    const schema = schemaOfResponseFormat(body.response_format);
    return schema === undefined ? undefined : createJsonConstraint(vocab, schema);
  } catch (e) {
    if (isUserError(e)) throw new ApiError(400, `Invalid response_format: ${e.message}.`, "invalid_response_format", param);
    throw e;
  }
}
