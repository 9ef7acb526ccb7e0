import { UserError } from "../errors.js";
import { renderChatTemplate } from "../formats/chat-template/index.js";
import type { Tokenizer } from "../formats/tokenizer/index.js";
import type { LanguageModel } from "../models/llm/language-model.js";
import type { VisionModel } from "../models/vision/index.js";
import type { VisionNumerics } from "../models/vision/index.js";
import { generate, type GenerateOptions, type GenerationResult, type GenerationStep } from "../runtime/generation.js";
import { promptLength } from "../runtime/prompt.js";
import { ChatSession } from "../runtime/session.js";
import { buildChatPrompt, type ChatPromptLayout, type EncodedImage, type EncodedVideo } from "./chat-prompt.js";
import { preprocessImage, type PreprocessedImage, type PreprocessPolicy } from "./image/preprocess.js";
import { toPixelValues } from "./image/pixel-values.js";
import type { RgbImage } from "./image/rgb-image.js";
import { imageKey } from "./image-key.js";
import type { ChatMessage, ImageResolver, VideoPart } from "./messages.js";
import { FrameFusion, frameSpanOf, type FrameFusionOptions } from "./video/framefusion.js";
import type { PlaceholderSchema, PlaceholderStyle } from "./placeholder.js";

/** `clip.minicpmv_version` of the models with the 3-D (temporal) resampler: V4.5 and o-4.5. */
const TEMPORAL_VERSIONS = new Set([6, 100045]);

/** How images are cut, encoded and laid out in the prompt. */
export interface ImageOptions {
  /** Crop policy: the authors' processor (default), llama.cpp's mtmd, or BlueLM-V-3B's relaxed grids. */
  readonly preprocess?: PreprocessPolicy;
  readonly maxSliceNums?: number;
  readonly scaleResolution?: number;
  /** Prompt style: the authors' chat() (default) or llama.cpp's mtmd (no `<image_id>`, no "\n" joins). */
  readonly style?: PlaceholderStyle;
  readonly useImageId?: boolean;
  /** Vision numerics: exact float32 (default) or llama.cpp's f16 emulation. */
  readonly numerics?: VisionNumerics;
}

export interface ChatOptions extends GenerateOptions, ImageOptions {
  /** V4.5: let the model think before answering (default off, as the authors' chat()). */
  readonly enableThinking?: boolean;
  readonly system?: string;
  /**
   * FrameFusion on the video's rows during prefill (`chat()` only; needs one video of two or more
   * frame groups): true for the defaults, or its options.
   */
  readonly frameFusion?: boolean | FrameFusionOptions;
}

/** What FrameFusion did in one prefill. */
export interface FrameFusionReport {
  /** Rows of the video's frame groups in the prompt. */
  readonly videoRows: number;
  /** Rows FrameFusion works over: the frame groups, the tokens between them and the two after the last. */
  readonly spanRows: number;
  /** Rows of that span removed by merging, and by pruning. */
  readonly merged: number;
  readonly pruned: number;
  /** Rows of that span left after the prefill (`spanRows - merged - pruned`). */
  readonly keptRows: number;
  /** Share of the video rows merged in each merging round. */
  readonly sparsities: readonly number[];
}

/** What `fusion` (hooks made by `MiniCPMV.frameFusionFor(layout)`) did: read after the prefill. */
export function frameFusionReport(fusion: FrameFusion, layout: ChatPromptLayout): FrameFusionReport {
  const videoRows = layout.videoRows.reduce((s, r) => s + r.n, 0);
  const spanRows = fusion.span.rows;
  return {
    videoRows, spanRows, merged: fusion.merged, pruned: fusion.pruned,
    keptRows: spanRows - fusion.merged - fusion.pruned, sparsities: [...fusion.sparsities],
  };
}

export interface VlmParts {
  readonly llm: LanguageModel;
  readonly vision: VisionModel;
  readonly tokenizer: Tokenizer;
  readonly chatTemplate: string;
  /** For messages. */
  readonly name: string;
  readonly resolveImage?: ImageResolver;
}

/** Features of one image, kept so a conversation does not encode the same image twice. */
interface CachedImage extends EncodedImage {
  readonly preprocessed: PreprocessedImage;
  /** Per crop, the resampler's cross-attention `[Q, patches]` (mean over heads), when it was asked for. */
  readonly crossAttention?: readonly Float32Array[];
}

/**
 * A MiniCPM-V model: language model + vision tower + resampler + tokenizer + chat template.
 * `chat()` answers one conversation; `session()` keeps the KV cache across turns.
 */
export class MiniCPMV {
  readonly llm: LanguageModel;
  readonly vision: VisionModel;
  readonly tokenizer: Tokenizer;
  readonly chatTemplate: string;
  readonly name: string;
  private readonly resolveImage?: ImageResolver;
  private readonly imageCache = new Map<string, CachedImage>();
  private readonly videoCache = new Map<string, EncodedVideo & { readonly frames: PreprocessedImage[] }>();
  /** Last image layout (crops, grid) per conversation image and video frame, in prompt order, for tools that show or read it. */
  lastImages: PreprocessedImage[] = [];
  /**
   * MiniCPM-V's grounding markup (`<ref>`, `<box>`, `<point>`, `<quad>` and their closing tags): special
   * tokens in its vocabularies, but part of an answer, so they appear in the generated text.
   */
  readonly markupTokens: ReadonlySet<number>;

  constructor(parts: VlmParts) {
    this.llm = parts.llm;
    this.vision = parts.vision;
    this.tokenizer = parts.tokenizer;
    this.chatTemplate = parts.chatTemplate;
    this.name = parts.name;
    this.resolveImage = parts.resolveImage;
    const markup = ["<ref>", "</ref>", "<box>", "</box>", "<quad>", "</quad>", "<point>", "</point>"];
    this.markupTokens = new Set(markup.map((t) => this.tokenizer.tokenId(t)).filter((id) => id !== undefined));
    const d = this.vision.config.outDim;
    if (d !== this.llm.config.nEmbd) {
      throw new UserError("bad_file", `${this.name}: the vision projector outputs ${d}-wide rows but the language model expects ${this.llm.config.nEmbd}; the two files do not belong together`);
    }
  }

  /** "v2.5" for MiniCPM-Llama3-V 2.5 (minicpmv_version 2), "v2.6" for 2.6 / 4.0 / 4.5. */
  get schema(): PlaceholderSchema {
    return this.vision.config.version === 2 ? "v2.5" : "v2.6";
  }

  /**
   * Crops + tower + resampler for one image, cached by content and options. `crossAttention` also keeps
   * the resampler's cross-attention per crop (attention-driven grounding reads it).
   */
  encodeImage(image: RgbImage, opts: ImageOptions = {}, crossAttention = false): CachedImage {
    const policy = opts.preprocess ?? "reference";
    const key = `${imageKey(image)}|${policy}|${opts.maxSliceNums ?? 9}|${opts.scaleResolution ?? 448}|${opts.numerics ?? "reference"}`;
    const hit = this.imageCache.get(key);
    if (hit && (!crossAttention || hit.crossAttention)) {
      this.imageCache.delete(key);
      this.imageCache.set(key, hit);
      return hit;
    }
    const cfg = this.vision.config;
    const pre = preprocessImage(image, {
      policy,
      maxSliceNums: opts.maxSliceNums,
      scaleResolution: opts.scaleResolution ?? cfg.imageSize,
      patchSize: cfg.patchSize,
    });
    const crops = pre.crops.map((c) => ({
      pixels: toPixelValues(c.image, { mean: cfg.imageMean, std: cfg.imageStd }),
      height: c.image.height,
      width: c.image.width,
    }));
    const enc = this.vision.encode(crops, { numerics: opts.numerics, crossAttention });
    const entry: CachedImage = { grid: pre.grid, crops: enc.embeddings, key, preprocessed: pre, crossAttention: enc.crossAttention };
    this.imageCache.delete(key);
    this.imageCache.set(key, entry);
    while (this.imageCache.size > 16) this.imageCache.delete(this.imageCache.keys().next().value!);
    return entry;
  }

  /** Whether the resampler is MiniCPM-V 4.5's 3-D one (frames grouped by temporal ids). */
  get hasTemporalResampler(): boolean {
    return TEMPORAL_VERSIONS.has(this.vision.config.version);
  }

  /**
   * Frames (never sliced) + tower + resampler for one video: one `[Q, D]` block per group of
   * `temporalIds`, or per frame without them. Cached like images.
   */
  encodeVideo(video: VideoPart, opts: ImageOptions = {}): EncodedVideo & { readonly frames: PreprocessedImage[] } {
    const ids = video.temporalIds;
    if (ids !== undefined) {
      if (!this.hasTemporalResampler) {
        throw new UserError("bad_argument", `${this.name} has no 3-D resampler (MiniCPM-V 4.5 has): pass the video's frames without temporalIds`);
      }
      const groups = Array.isArray(ids) && ids.every((g) => Array.isArray(g) && g.length > 0);
      if (!groups || ids.reduce((s, g) => s + g.length, 0) !== video.frames.length) {
        throw new UserError("bad_argument", `the video's temporalIds must split its ${video.frames.length} frames into non-empty groups, got groups of [${ids.map((g) => g?.length)}]`);
      }
      for (const t of ids.flat()) {
        if (!Number.isInteger(t) || t < 0) throw new UserError("bad_argument", `temporal ids are non-negative integers (0.1 s steps), got ${t}`);
      }
    }
    const policy = opts.preprocess ?? "reference";
    const key = `video:${video.frames.map(imageKey).join(",")}|${JSON.stringify(ids ?? null)}|${policy}|${opts.scaleResolution ?? 448}|${opts.numerics ?? "reference"}`;
    const hit = this.videoCache.get(key);
    if (hit) return hit;
    const cfg = this.vision.config;
    const frames = video.frames.map((f) => preprocessImage(f, {
      policy, maxSliceNums: 1, scaleResolution: opts.scaleResolution ?? cfg.imageSize, patchSize: cfg.patchSize,
    }));
    const crops = frames.map((pre) => {
      const c = pre.crops[0].image;
      return { pixels: toPixelValues(c, { mean: cfg.imageMean, std: cfg.imageStd }), height: c.height, width: c.width };
    });
    const enc = this.vision.encode(crops, { numerics: opts.numerics, temporalIds: ids });
    const entry = { groups: enc.embeddings, groupSizes: ids ? ids.map((g) => g.length) : frames.map(() => 1), key, frames };
    this.videoCache.clear(); // one video at a time: frames are heavy
    this.videoCache.set(key, entry);
    return entry;
  }

  /** The prompt for a conversation: text tokens and image rows, ready to feed. */
  async prompt(messages: readonly ChatMessage[], opts: ChatOptions = {}): Promise<ChatPromptLayout> {
    const style = opts.style ?? "authors";
    const bos = this.tokenizer.special.bos;
    const bosText = style === "authors" && bos !== null && bos !== undefined ? new TextDecoder().decode(this.tokenizer.tokenToPiece(bos, true)) : "";
    const all = opts.system ? [{ role: "system" as const, content: opts.system }, ...messages] : messages;
    this.lastImages = [];
    return buildChatPrompt(all, {
      renderTemplate: (msgs) => renderChatTemplate(this.chatTemplate, msgs, {
        addGenerationPrompt: true,
        bosToken: bosText,
        enableThinking: opts.enableThinking ?? (this.llm.config.arch === "qwen3" ? false : undefined),
        source: this.name,
      }),
      encode: (text, addSpecial) => this.tokenizer.encode(text, { addSpecial, parseSpecial: true }),
      encodeImage: async (image) => {
        const e = this.encodeImage(image, opts);
        this.lastImages.push(e.preprocessed);
        return e;
      },
      encodeVideo: async (video) => {
        const e = this.encodeVideo(video, opts);
        this.lastImages.push(...e.frames);
        return e;
      },
      resolveImage: this.resolveImage,
    }, { schema: this.schema, style, useImageId: opts.useImageId, queryNum: this.vision.config.queryNum });
  }

  /** What FrameFusion did in the last `chat()` that used it (null otherwise). */
  lastFrameFusion: FrameFusionReport | null = null;

  /** Answers a conversation from scratch; streams steps, returns the whole result. */
  async *chat(messages: readonly ChatMessage[], opts: ChatOptions = {}): AsyncGenerator<GenerationStep, GenerationResult, void> {
    const layout = await this.prompt(messages, opts);
    const fusion = opts.frameFusion ? this.frameFusionFor(layout, opts.frameFusion === true ? {} : opts.frameFusion) : undefined;
    if (fusion && opts.prefillHooks) throw new UserError("bad_argument", "frameFusion and prefillHooks cannot be combined: FrameFusion is itself the prefill's hooks");
    this.lastFrameFusion = null;
    const cache = this.llm.newCache();
    try {
      return yield* generate(this.llm, cache, layout.segments, this.tokenizer, { renderTokens: this.markupTokens, ...opts, prefillHooks: fusion ?? opts.prefillHooks });
    } finally {
      cache.dispose?.();
      if (fusion) this.lastFrameFusion = frameFusionReport(fusion, layout);
    }
  }

  /**
   * FrameFusion hooks over the frame groups of the prompt's one video, for a prefill from a fresh cache
   * (`prefillHooks`); `frameFusionReport` tells afterwards what they did. A `UserError` when the prompt
   * has no video of two or more frame groups.
   */
  frameFusionFor(layout: ChatPromptLayout, opts: FrameFusionOptions = {}): FrameFusion {
    return new FrameFusion(frameSpanOf(layout.videoRows, promptLength(layout.segments)), this.llm.config.nLayers, 0, opts);
  }

  /** A multi-turn conversation that keeps its KV cache: each `send` takes the whole message list. */
  session(): VlmSession {
    return new VlmSession(this);
  }

  async dispose(): Promise<void> {
    await this.llm.dispose();
  }
}

export class VlmSession {
  private readonly chat: ChatSession;

  constructor(private readonly vlm: MiniCPMV) {
    this.chat = new ChatSession(vlm.llm, vlm.tokenizer);
  }

  /** Rows reused from the cache by the last `send`. */
  get reusedRows(): number {
    return this.chat.reusedRows;
  }

  async *send(messages: readonly ChatMessage[], opts: ChatOptions = {}): AsyncGenerator<GenerationStep, GenerationResult, void> {
    const layout = await this.vlm.prompt(messages, opts);
    return yield* this.chat.turn(layout.segments, { renderTokens: this.vlm.markupTokens, ...opts });
  }
}
