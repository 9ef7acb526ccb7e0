/**
 * The messages between a page and the engine worker (engine-worker.ts). Every request carries an `id`;
 * every reply names the request it belongs to. All payloads are structured-cloneable (Blobs, ImageData).
 */
import type { ImageOptions } from "../multimodal/vlm.js";
import type { SamplingOptions } from "../runtime/sampling.js";

/** Where a GGUF file comes from: a URL (downloaded once, then cached) or a Blob/File the user picked. */
export type ModelRef = string | Blob;

/** How a model file was obtained. */
export type FileOrigin = "network" | "cache" | "range" | "file";

export interface LoadRequest {
  readonly type: "load";
  readonly id: number;
  readonly model: ModelRef;
  readonly mmproj: ModelRef;
  /** Threads incl. the engine worker (default: navigator.hardwareConcurrency when cross-origin isolated, else 1). */
  readonly threads?: number;
  /** Keep URL downloads in the origin's storage (default true). */
  readonly cache?: boolean;
}

/** A message part the engine understands: text, or an image as encoded bytes (PNG, JPEG, WebP, GIF...). */
export type PagePart = { readonly type: "text"; readonly text: string } | { readonly type: "image"; readonly image: Blob };

export interface PageMessage {
  readonly role: "system" | "user" | "assistant";
  readonly content: string | readonly PagePart[];
}

export interface PageChatOptions extends ImageOptions {
  readonly maxTokens?: number;
  readonly sampling?: SamplingOptions;
  readonly stop?: readonly string[];
  readonly system?: string;
  readonly enableThinking?: boolean;
  /** Keep generating past end-of-generation tokens (benchmarks). */
  readonly ignoreEos?: boolean;
}

export interface ChatRequest {
  readonly type: "chat";
  readonly id: number;
  readonly messages: readonly PageMessage[];
  readonly options?: PageChatOptions;
}

export interface AbortRequest {
  readonly type: "abort";
  /** The chat request to stop. */
  readonly id: number;
}

export interface UnloadRequest {
  readonly type: "unload";
  readonly id: number;
}

export type ToEngine = LoadRequest | ChatRequest | AbortRequest | UnloadRequest;

export type LoadStage = "download" | "llm" | "vision";

export interface ProgressReply {
  readonly type: "progress";
  readonly id: number;
  readonly stage: LoadStage;
  /** "model" or "mmproj" while downloading. */
  readonly file?: "model" | "mmproj";
  /** Bytes (download) or a fraction in [0, 1] (llm, vision). */
  readonly done: number;
  readonly total: number;
}

export interface EngineInfo {
  readonly name: string;
  readonly backend: string;
  readonly threads: number;
  readonly relaxedSimd: boolean;
  readonly crossOriginIsolated: boolean;
  readonly origins: { readonly model: FileOrigin; readonly mmproj: FileOrigin };
  readonly bytes: { readonly model: number; readonly mmproj: number };
  readonly loadMs: number;
}

export interface LoadedReply {
  readonly type: "loaded";
  readonly id: number;
  readonly info: EngineInfo;
}

/** One crop the vision tower saw, as RGBA pixels ready for a canvas. */
export interface CropInfo {
  readonly kind: "overview" | "slice";
  readonly row: number;
  readonly col: number;
  readonly pixels: ImageData;
}

export interface CropsReply {
  readonly type: "crops";
  readonly id: number;
  /** Per image of the prompt: the slice grid ([cols, rows], null when unsliced) and its crops. */
  readonly images: readonly { readonly grid: readonly [number, number] | null; readonly crops: readonly CropInfo[] }[];
}

export interface DeltaReply {
  readonly type: "delta";
  readonly id: number;
  readonly token: number;
  readonly text: string;
}

export interface ChatStats {
  readonly text: string;
  readonly tokens: readonly number[];
  readonly finishReason: "stop" | "length" | "aborted";
  readonly promptRows: number;
  readonly prefillMs: number;
  readonly decodeMs: number;
  /** Generated tokens per second of decoding (as the CLI reports it). */
  readonly tokensPerSecond: number;
}

export interface DoneReply {
  readonly type: "done";
  readonly id: number;
  readonly stats: ChatStats;
}

export interface UnloadedReply {
  readonly type: "unloaded";
  readonly id: number;
}

export interface ErrorReply {
  readonly type: "error";
  readonly id: number;
  readonly message: string;
  /** A UserError's code (the user can fix it), or "internal". */
  readonly code: string;
}

export type FromEngine = ProgressReply | LoadedReply | CropsReply | DeltaReply | DoneReply | UnloadedReply | ErrorReply;
