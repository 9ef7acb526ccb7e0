import { UserError } from "../errors.js";

/** Where downloaded bytes go, in order (an OPFS file here; anything with write/close would do). */
export interface ChunkSink {
  write(chunk: Uint8Array, at: number): Promise<void> | void;
  close(): Promise<void> | void;
}

/**
 * Streams a URL's body into `sink` chunk by chunk (never the whole file in memory), reporting
 * (bytesDone, bytesTotal) as it goes. Returns the number of bytes written.
 */
export async function download(url: string, sink: ChunkSink, onProgress?: (done: number, total: number) => void, signal?: AbortSignal): Promise<number> {
  let res: Response;
  try {
    res = await fetch(url, { cache: "no-store", signal });
  } catch (e) {
    throw new UserError("missing", `${url}: download failed (${(e as Error).message})`, { cause: e });
  }
  if (!res.ok || !res.body) throw new UserError("missing", `${url}: download failed (HTTP ${res.status})`);
  const declared = Number(res.headers.get("content-length") ?? NaN);
  let done = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done: end, value } = await reader.read();
    if (end) break;
    await sink.write(value, done);
    done += value.length;
    onProgress?.(done, Number.isFinite(declared) ? declared : done);
  }
  await sink.close();
  if (Number.isFinite(declared) && done !== declared) throw new UserError("bad_file", `${url}: got ${done} of ${declared} bytes`);
  return done;
}
