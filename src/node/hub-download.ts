import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, mkdir, open, rename, rm, stat, symlink } from "node:fs/promises";
import { dirname, relative } from "node:path";
import { UserError } from "../errors.js";
import { authHeaders, resolveUrl, type HubEndpoint } from "../hub/hub-endpoint.js";
import { blobName, type HubFile } from "../hub/repo-info.js";
import { withFileLock } from "./file-lock.js";
import { blobPath, snapshotFolder } from "./hub-cache.js";

/** Bytes of one file so far, and its size. */
export type DownloadProgress = (path: string, done: number, total: number) => void;

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/** The hash the Hub lists for a file: SHA-256 of the content, or the git blob id (SHA-1 over a header and the content). */
function newHash(file: HubFile): Hash {
  if (file.sha256) return createHash("sha256");
  return createHash("sha1").update(`blob ${file.size}\0`);
}

async function hashExisting(hash: Hash, path: string): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

/** Puts a snapshot entry in place: a relative symlink to the blob as huggingface_hub makes, or a copy where links are not allowed. */
async function linkSnapshot(blob: string, pointer: string): Promise<void> {
  await mkdir(dirname(pointer), { recursive: true });
  await rm(pointer, { force: true });
  try {
    await symlink(relative(dirname(pointer), blob), pointer);
  } catch {
    await copyFile(blob, pointer);
  }
}

/**
 * Makes `file` of `repo` at `commit` present in the cache and returns its snapshot path. The bytes
 * go to blobs/<hash>.incomplete first, resumed with an HTTP Range request if an earlier download was
 * cut off, and are checked against the Hub's size and hash before they are renamed into place: a
 * failed or interrupted download never leaves a file that looks complete.
 */
export async function downloadToCache(endpoint: HubEndpoint, cache: string, repo: string, commit: string, file: HubFile,
  onProgress?: DownloadProgress, signal?: AbortSignal): Promise<string> {
  const pointer = `${snapshotFolder(cache, repo, commit)}/${file.path}`;
  if (await sizeOf(pointer) !== undefined) return pointer;
  const blob = blobPath(cache, repo, blobName(file));
  if (await sizeOf(blob) === file.size) {
    await linkSnapshot(blob, pointer);
    return pointer;
  }
  await mkdir(dirname(blob), { recursive: true });
  await withFileLock(`${blob}.lock`, async () => {
    // Another process may have fetched it while this one waited for the lock.
    if (await sizeOf(blob) !== file.size) await fetchBlob(endpoint, repo, commit, file, blob, onProgress, signal);
  }, { signal });
  await linkSnapshot(blob, pointer);
  return pointer;
}

/** Downloads (or resumes) one file into blobs/<hash> through blobs/<hash>.incomplete, checking size and hash. */
async function fetchBlob(endpoint: HubEndpoint, repo: string, commit: string, file: HubFile, blob: string,
  onProgress?: DownloadProgress, signal?: AbortSignal): Promise<void> {
  const partial = `${blob}.incomplete`;
  let have = (await sizeOf(partial)) ?? 0;
  if (file.size >= 0 && have > file.size) have = 0;
  const url = resolveUrl(endpoint, repo, commit, file.path);
  // A connection that delivers nothing for stallMs is dropped (the partial file stays for a resume).
  const stallMs = endpoint.stallMs ?? 60_000;
  const stalled = new AbortController();
  let watchdog = setTimeout(() => stalled.abort(), stallMs);
  const alive = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => stalled.abort(), stallMs);
  };
  const why = (e: unknown) => (signal?.aborted ? "cancelled" : stalled.signal.aborted ? `no data for ${stallMs / 1000} s` : (e as Error).message);
  let res: Response;
  try {
    res = await (endpoint.fetch ?? fetch)(url, {
      headers: { ...authHeaders(endpoint), ...(have > 0 ? { range: `bytes=${have}-` } : {}) },
      signal: signal ? AbortSignal.any([signal, stalled.signal]) : stalled.signal,
    });
  } catch (e) {
    clearTimeout(watchdog);
    throw new UserError(signal?.aborted ? "aborted" : "missing", `${repo}/${file.path}: download failed (${why(e)})`, { cause: e });
  }
  const resumed = res.status === 206;
  if (res.status === 416 && have === file.size) {
    // Everything was already there; only the check and the rename are left.
  } else if (!res.ok || !res.body) {
    const hint = res.status === 401 || res.status === 403 ? "; a gated or private repo needs a token in HF_TOKEN" : "";
    throw new UserError("missing", `${repo}/${file.path}: download failed (HTTP ${res.status})${hint}`);
  } else if (!resumed) {
    have = 0;
  } else if (!new RegExp(`^bytes ${have}-`).test(res.headers.get("content-range") ?? "")) {
    throw new UserError("bad_file", `${repo}/${file.path}: the server resumed at the wrong offset (${res.headers.get("content-range")})`);
  }
  let out;
  let done = have;
  let digest = "";
  try {
    const hash = newHash(file);
    if (have > 0) await hashExisting(hash, partial);
    out = await open(partial, have > 0 ? "a" : "w");
    if (res.status !== 416) {
      alive();
      onProgress?.(file.path, done, file.size);
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        alive();
        await out.write(chunk);
        hash.update(chunk);
        done += chunk.length;
        onProgress?.(file.path, done, file.size);
      }
    }
    digest = hash.digest("hex");
  } catch (e) {
    throw new UserError(signal?.aborted ? "aborted" : "missing", `${repo}/${file.path}: download interrupted after ${done} of ${file.size} bytes (${why(e)}); run again to resume`, { cause: e });
  } finally {
    clearTimeout(watchdog);
    await out?.close();
  }
  if (file.size >= 0 && done < file.size) {
    throw new UserError("missing", `${repo}/${file.path}: download interrupted after ${done} of ${file.size} bytes (the connection closed early); run again to resume`);
  }
  const want = file.sha256 ?? file.blobId;
  if ((file.size >= 0 && done !== file.size) || digest !== want) {
    await rm(partial, { force: true });
    throw new UserError("bad_file", `${repo}/${file.path}: the download does not match the Hub's listing (${done} bytes, hash ${digest}; expected ${file.size} bytes, hash ${want}); it was deleted, run again`);
  }
  await rename(partial, blob);
}
