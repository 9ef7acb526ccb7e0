import { blobSource, type ByteSource } from "../io/byte-source.js";
import { download } from "./download.js";
import { headOf } from "./http-range-source.js";
import { opfsSink } from "./opfs-sink.js";

/** The folder of the origin private file system that holds downloaded model files. */
export const CACHE_DIR = "pocketvlm-models";

interface CacheEntry {
  readonly url: string;
  readonly size: number;
  /** ETag (or Last-Modified) the server gave when the file was downloaded. */
  readonly etag: string;
}

export interface CachedUrl {
  readonly source: ByteSource;
  readonly origin: "network" | "cache";
}

async function cacheKey(url: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(url));
  return Array.from(new Uint8Array(digest).slice(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function fileIfExists(dir: FileSystemDirectoryHandle, name: string): Promise<File | undefined> {
  try {
    return await (await dir.getFileHandle(name)).getFile();
  } catch {
    return undefined;
  }
}

/** The cache folder, or undefined where this context has no origin private file system. */
export async function cacheDir(): Promise<FileSystemDirectoryHandle | undefined> {
  try {
    return await (await navigator.storage.getDirectory()).getDirectoryHandle(CACHE_DIR, { create: true });
  } catch {
    return undefined;
  }
}

/** Whether `bytes` more fit in the origin's storage quota (true when the browser does not say). */
async function fits(bytes: number): Promise<boolean> {
  try {
    const { quota, usage } = await navigator.storage.estimate();
    return quota === undefined || usage === undefined || quota - usage > bytes;
  } catch {
    return true;
  }
}

/**
 * A URL's bytes from the origin private file system, downloading them first (streamed to disk, with
 * progress) unless a complete copy is there and the server, when it answers, still has the same file.
 * A second visit thus reads the model from disk; files larger than memory are read piece by piece.
 * Returns undefined when there is no storage or not enough quota (the caller then reads by ranges).
 */
export async function openCachedUrl(url: string, onProgress?: (done: number, total: number) => void, signal?: AbortSignal): Promise<CachedUrl | undefined> {
  const dir = await cacheDir();
  if (!dir) return undefined;
  const key = await cacheKey(url);
  const head = await headOf(url);
  const metaFile = await fileIfExists(dir, `${key}.json`);
  const meta = metaFile ? (JSON.parse(await metaFile.text()) as CacheEntry) : undefined;
  const data = await fileIfExists(dir, `${key}.gguf`);
  const fresh = !head || (head.size === meta?.size && head.etag === meta.etag);
  if (meta && data && data.size === meta.size && meta.url === url && fresh) {
    onProgress?.(meta.size, meta.size);
    return { source: blobSource(url, data), origin: "cache" };
  }
  if (meta) await dir.removeEntry(`${key}.json`);
  if (head && !(await fits(head.size))) return undefined;
  const handle = await dir.getFileHandle(`${key}.gguf`, { create: true });
  let size: number;
  try {
    size = await download(url, await opfsSink(handle), onProgress, signal);
  } catch (e) {
    await dir.removeEntry(`${key}.gguf`).catch(() => undefined);
    if ((e as Error).name === "QuotaExceededError") return undefined;
    throw e;
  }
  const entry: CacheEntry = { url, size, etag: head?.etag ?? "" };
  const sink = await opfsSink(await dir.getFileHandle(`${key}.json`, { create: true }));
  await sink.write(new TextEncoder().encode(JSON.stringify(entry)), 0);
  await sink.close();
  return { source: blobSource(url, await handle.getFile()), origin: "network" };
}

/** Deletes every cached model file of this origin. */
export async function clearModelCache(): Promise<void> {
  const root = await navigator.storage.getDirectory();
  await root.removeEntry(CACHE_DIR, { recursive: true }).catch(() => undefined);
}
