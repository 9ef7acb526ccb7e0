import { isUserError } from "../errors.js";
import type { ChatMessage, ContentPart } from "../multimodal/messages.js";
import type { GenerationResult } from "../runtime/generation.js";
import { decodeImageBlob, toImageData } from "./image-decode.js";
import { openModelRef } from "./model-ref.js";
import { openBrowserVlm, type BrowserVlm } from "./open-vlm.js";
import { threadsAvailable } from "./wasm-platform.js";
import type { ChatRequest, CropsReply, FromEngine, LoadRequest, PageMessage, ToEngine } from "./protocol.js";

type Post = (message: FromEngine) => void;

/**
 * The engine's side of the protocol (protocol.ts): one model at a time, one chat at a time (requests
 * are served in arrival order). The worker entry (engine-worker.ts) feeds it messages.
 */
export class EngineHost {
  private vlm: BrowserVlm | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly aborts = new Map<number, AbortController>();

  constructor(private readonly post: Post, private readonly baseUrl?: string) {}

  receive(m: ToEngine): void {
    if (m.type === "abort") {
      this.aborts.get(m.id)?.abort();
      return;
    }
    if (m.type === "chat") this.aborts.set(m.id, new AbortController());
    this.queue = this.queue.then(() => this.serve(m)).catch(() => undefined);
  }

  private async serve(m: Exclude<ToEngine, { type: "abort" }>): Promise<void> {
    try {
      if (m.type === "load") await this.load(m);
      else if (m.type === "chat") await this.chat(m);
      else {
        await this.unload();
        this.post({ type: "unloaded", id: m.id });
      }
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (!isUserError(e)) console.error(e);
      this.post({ type: "error", id: m.id, message, code: isUserError(e) ? e.code : "internal" });
    } finally {
      this.aborts.delete(m.id);
    }
  }

  private async unload(): Promise<void> {
    const old = this.vlm;
    this.vlm = undefined;
    await old?.dispose();
  }

  private async load(m: LoadRequest): Promise<void> {
    const t0 = performance.now();
    await this.unload();
    const progress = (file: "model" | "mmproj") => (done: number, total: number) =>
      this.post({ type: "progress", id: m.id, stage: "download", file, done, total });
    const model = await openModelRef(m.model, { cache: m.cache, onProgress: progress("model") });
    const mmproj = await openModelRef(m.mmproj, { cache: m.cache, onProgress: progress("mmproj") });
    this.vlm = await openBrowserVlm({
      model: model.source, mmproj: mmproj.source, threads: m.threads, baseUrl: this.baseUrl,
      onProgress: (stage, f) => this.post({ type: "progress", id: m.id, stage, done: f, total: 1 }),
    });
    const b = this.vlm.backend as { name: string; threads?: number; relaxedSimd?: boolean };
    this.post({
      type: "loaded", id: m.id, info: {
        name: displayName(model.source.name), backend: b.name, threads: b.threads ?? 1, relaxedSimd: b.relaxedSimd ?? false,
        crossOriginIsolated: threadsAvailable(),
        origins: { model: model.origin, mmproj: mmproj.origin },
        bytes: { model: model.source.size, mmproj: mmproj.source.size },
        loadMs: performance.now() - t0,
      },
    });
  }

  private async chat(m: ChatRequest): Promise<void> {
    const vlm = this.vlm;
    if (!vlm) throw new Error("pocketvlm: chat before a model was loaded (send a load request first)");
    const messages = await Promise.all(m.messages.map(toChatMessage));
    const o = m.options ?? {};
    const signal = this.aborts.get(m.id)?.signal;
    let sentCrops = false;
    const it = vlm.chat(messages, { ...o, signal, onPrefillProgress: () => (sentCrops ||= this.sendCrops(m.id, vlm)) });
    let r = await it.next();
    for (; !r.done; r = await it.next()) {
      sentCrops ||= this.sendCrops(m.id, vlm);
      this.post({ type: "delta", id: m.id, token: r.value.token, text: r.value.text });
    }
    const res: GenerationResult = r.value;
    this.post({
      type: "done", id: m.id, stats: {
        text: res.text, tokens: res.tokens, finishReason: res.finishReason, promptRows: res.promptRows,
        prefillMs: res.prefillMs, decodeMs: res.decodeMs, tokensPerSecond: res.tokens.length / Math.max(res.decodeMs / 1000, 1e-9),
      },
    });
  }

  /** The crops of the prompt's images, as soon as they are known (before the answer streams). */
  private sendCrops(id: number, vlm: BrowserVlm): true {
    const images = vlm.lastImages.map((p) => ({
      grid: p.grid,
      crops: p.crops.map((c) => ({ kind: c.kind, row: c.row, col: c.col, pixels: toImageData(c.image) })),
    }));
    const reply: CropsReply = { type: "crops", id, images };
    this.post(reply);
    return true;
  }
}

async function toChatMessage(m: PageMessage): Promise<ChatMessage> {
  if (typeof m.content === "string") return { role: m.role, content: m.content };
  const parts: ContentPart[] = [];
  for (const [i, p] of m.content.entries()) {
    if (p.type === "text") parts.push({ type: "text", text: p.text });
    else parts.push({ type: "image", image: await decodeImageBlob(p.image, { name: (p.image as Partial<File>).name ?? `image ${i + 1}` }) });
  }
  return { role: m.role, content: parts };
}

/** The last path segment of a URL (or the file name as it is). */
function displayName(name: string): string {
  const tail = name.split(/[?#]/)[0].split("/").pop();
  return tail ? decodeURIComponent(tail) : name;
}
