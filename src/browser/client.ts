import { UserError, type UserErrorCode } from "../errors.js";
import { AsyncQueue } from "./async-queue.js";
import type {
  ChatStats, CropsReply, EngineInfo, FromEngine, ModelRef, PageChatOptions, PageMessage, ProgressReply, ToEngine,
} from "./protocol.js";

export interface EngineOptions {
  /** URL of engine-worker.js (default: beside this module). */
  readonly workerUrl?: string | URL;
}

export interface LoadOptions {
  /** The LLM GGUF and its vision projector (mmproj) GGUF: URLs (cached after the first download) or picked Files. */
  readonly model: ModelRef;
  readonly mmproj: ModelRef;
  readonly threads?: number;
  /** Keep downloads in the origin's storage (default true). */
  readonly cache?: boolean;
  readonly onProgress?: (p: ProgressReply) => void;
}

export type CropImages = CropsReply["images"];

/** One answer being generated: iterate for text deltas; `stats` settles when it ends. */
export interface ChatRun extends AsyncIterable<string> {
  readonly stats: Promise<ChatStats>;
  /** The crops each image was cut into (settles before the first delta). */
  readonly crops: Promise<CropImages>;
  abort(): void;
}

type Listener = (m: FromEngine) => void;

function errorOf(m: Extract<FromEngine, { type: "error" }>): Error {
  return m.code === "internal" ? new Error(m.message) : new UserError(m.code as UserErrorCode, m.message);
}

/** Absolute URL for a relative one (the worker resolves against its own URL otherwise). */
function absolute(ref: ModelRef): ModelRef {
  return typeof ref === "string" ? new URL(ref, globalThis.location?.href).href : ref;
}

/**
 * The page's handle on the engine worker: load a model pair, then chat with streamed answers.
 * The model runs in a dedicated Worker, so the page stays responsive.
 */
export class PocketVlm {
  private readonly worker: Worker;
  private readonly listeners = new Map<number, Listener>();
  private nextId = 1;

  constructor(opts: EngineOptions = {}) {
    this.worker = new Worker(opts.workerUrl ?? new URL("./engine-worker.js", import.meta.url), { type: "module", name: "pocketvlm-engine" });
    this.worker.addEventListener("message", (e: MessageEvent<FromEngine>) => this.listeners.get(e.data.id)?.(e.data));
    this.worker.addEventListener("error", (e) => {
      const err = new Error(`pocketvlm: the engine worker failed: ${e.message || "could not start it"}`);
      for (const l of [...this.listeners.values()]) l({ type: "error", id: 0, message: err.message, code: "internal" });
    });
  }

  private send(m: ToEngine, listener: Listener): void {
    this.listeners.set(m.id, listener);
    this.worker.postMessage(m);
  }

  /** Loads (replacing any loaded model); resolves with what runs where. */
  load(opts: LoadOptions): Promise<EngineInfo> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.send({ type: "load", id, model: absolute(opts.model), mmproj: absolute(opts.mmproj), threads: opts.threads, cache: opts.cache }, (m) => {
        if (m.type === "progress") opts.onProgress?.(m);
        else if (m.type === "loaded") { this.listeners.delete(id); resolve(m.info); }
        else if (m.type === "error") { this.listeners.delete(id); reject(errorOf(m)); }
      });
    });
  }

  /** Answers a conversation; images are encoded files (Blob/File). */
  chat(messages: readonly PageMessage[], options: PageChatOptions = {}): ChatRun {
    const id = this.nextId++;
    const deltas = new AsyncQueue<string>();
    let settle!: { resolve: (s: ChatStats) => void; reject: (e: Error) => void };
    let cropsSettle!: { resolve: (c: CropImages) => void; reject: (e: Error) => void };
    const stats = new Promise<ChatStats>((resolve, reject) => (settle = { resolve, reject }));
    const crops = new Promise<CropImages>((resolve, reject) => (cropsSettle = { resolve, reject }));
    stats.catch(() => undefined);
    crops.catch(() => undefined);
    this.send({ type: "chat", id, messages, options }, (m) => {
      if (m.type === "crops") cropsSettle.resolve(m.images);
      else if (m.type === "delta") deltas.push(m.text);
      else if (m.type === "done") {
        this.listeners.delete(id);
        cropsSettle.resolve([]);
        deltas.end();
        settle.resolve(m.stats);
      } else if (m.type === "error") {
        this.listeners.delete(id);
        const e = errorOf(m);
        cropsSettle.reject(e);
        deltas.fail(e);
        settle.reject(e);
      }
    });
    return {
      stats, crops,
      abort: () => this.worker.postMessage({ type: "abort", id } satisfies ToEngine),
      [Symbol.asyncIterator]: () => deltas,
    };
  }

  /** Frees the model (the worker stays up). */
  unload(): Promise<void> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.send({ type: "unload", id }, (m) => {
        this.listeners.delete(id);
        if (m.type === "error") reject(errorOf(m));
        else resolve();
      });
    });
  }

  /** Stops the worker and everything in it. */
  terminate(): void {
    this.worker.terminate();
    this.listeners.clear();
  }
}
