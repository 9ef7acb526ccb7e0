import { blobSource, type ByteSource } from "../io/byte-source.js";
import { httpRangeSource } from "./http-range-source.js";
import { openCachedUrl } from "./model-cache.js";
import type { FileOrigin, ModelRef } from "./protocol.js";

export interface OpenedRef {
  readonly source: ByteSource;
  readonly origin: FileOrigin;
}

/**
 * A model file as a ByteSource: a picked File/Blob is read in place (Blob.slice); a URL comes from the
 * origin's cache, downloaded into it first when needed, or by HTTP ranges when caching is off or
 * impossible. No path holds the whole file in one ArrayBuffer.
 */
export async function openModelRef(ref: ModelRef, opts: { cache?: boolean; onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {}): Promise<OpenedRef> {
  if (typeof ref !== "string") {
    const name = (ref as Partial<File>).name ?? "blob";
    opts.onProgress?.(ref.size, ref.size);
    return { source: blobSource(name, ref), origin: "file" };
  }
  if (opts.cache ?? true) {
    const cached = await openCachedUrl(ref, opts.onProgress, opts.signal);
    if (cached) return cached;
  }
  const source = await httpRangeSource(ref);
  opts.onProgress?.(source.size, source.size);
  return { source, origin: "range" };
}
