import { ApiError } from "./api-error.js";

/** Downloads an image URL's bytes with a byte limit (declared and actual) and a time limit. */
export async function fetchImageBytes(url: string, maxBytes: number, timeoutMs: number, param: string): Promise<Uint8Array> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    const res = await fetch(url, { signal: ac.signal, redirect: "follow" });
    if (!res.ok || !res.body) throw new ApiError(400, `Fetching the image ${url.slice(0, 200)} failed: HTTP ${res.status}.`, "invalid_image_url", param);
    const declared = Number(res.headers.get("content-length") ?? "0");
    const tooLarge = () => new ApiError(400, `The image at ${url.slice(0, 200)} is more than the ${maxBytes} bytes allowed.`, "image_too_large", param);
    if (declared > maxBytes) throw tooLarge();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.length;
      if (total > maxBytes) { ac.abort(); throw tooLarge(); }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, total);
  } catch (e) {
    if (e instanceof ApiError) throw e;
    if (ac.signal.aborted) throw new ApiError(400, `Fetching the image ${url.slice(0, 200)} took longer than ${timeoutMs} ms.`, "image_fetch_timeout", param);
    throw new ApiError(400, `Fetching the image ${url.slice(0, 200)} failed: ${(e as Error).message}.`, "invalid_image_url", param);
  } finally {
    clearTimeout(timer);
  }
}
