import { UserError } from "../errors.js";
import type { ImageResolver } from "../multimodal/messages.js";
import { decodeImage, decodeImageFile, type DecodeOptions } from "./image-decode.js";

export interface ResolverOptions extends DecodeOptions {
  /** Allow plain local paths and file:// URLs (off for servers unless enabled). */
  readonly allowLocalFiles?: boolean;
  /** Allow http(s) URLs, fetched with the limits below. */
  readonly allowRemote?: boolean;
  readonly maxBytes?: number;
  readonly timeoutMs?: number;
}

const DATA_URI = /^data:([a-zA-Z0-9.+/-]*)((?:;[a-zA-Z0-9=.+-]+)*?)(;base64)?,(.*)$/s;

/** Decodes a `data:` URI's bytes, with a clear error when it is malformed. */
export function dataUriBytes(uri: string): Uint8Array {
  const m = DATA_URI.exec(uri);
  if (!m) throw new UserError("bad_image", "malformed data URI (expected data:<type>;base64,<data>)");
  const [, mime, , b64, payload] = m;
  if (mime && !mime.startsWith("image/")) throw new UserError("bad_image", `data URI has type ${mime}, not an image`);
  if (!b64) return new TextEncoder().encode(decodeURIComponent(payload));
  const clean = payload.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) throw new UserError("bad_image", "malformed data URI: invalid base64");
  const bytes = Buffer.from(clean, "base64");
  if (bytes.length === 0) throw new UserError("bad_image", "data URI holds no bytes");
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Node's ImageResolver: data URIs always; local files and http(s) when allowed. */
export function nodeImageResolver(opts: ResolverOptions = {}): ImageResolver {
  const maxBytes = opts.maxBytes ?? 20 * 1024 * 1024;
  return async (url: string) => {
    if (url.startsWith("data:")) {
      const bytes = dataUriBytes(url);
      if (bytes.length > maxBytes) throw new UserError("too_large", `image is ${bytes.length} bytes, more than the ${maxBytes} allowed`);
      return decodeImage(bytes, { ...opts, name: "data URI" });
    }
    if (/^https?:\/\//i.test(url)) {
      if (!opts.allowRemote) throw new UserError("bad_image", "remote image URLs are not enabled");
      return decodeImage(await fetchLimited(url, maxBytes, opts.timeoutMs ?? 10_000), { ...opts, name: url });
    }
    const local = url.startsWith("file://") ? new URL(url).pathname : url;
    if (!opts.allowLocalFiles) throw new UserError("bad_image", `image URL ${JSON.stringify(url.slice(0, 80))} is not a data URI${opts.allowRemote ? " or http(s) URL" : ""}`);
    return decodeImageFile(local, opts);
  };
}

async function fetchLimited(url: string, maxBytes: number, timeoutMs: number): Promise<Uint8Array> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    const res = await fetch(url, { signal: ac.signal, redirect: "follow" });
    if (!res.ok || !res.body) throw new UserError("bad_image", `fetching ${url} failed: HTTP ${res.status}`);
    const declared = Number(res.headers.get("content-length") ?? "0");
    if (declared > maxBytes) throw new UserError("too_large", `${url} is ${declared} bytes, more than the ${maxBytes} allowed`);
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.length;
      if (total > maxBytes) { ac.abort(); throw new UserError("too_large", `${url} is more than the ${maxBytes} bytes allowed`); }
      chunks.push(chunk);
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) { out.set(c, at); at += c.length; }
    return out;
  } catch (e) {
    if (e instanceof UserError) throw e;
    if (ac.signal.aborted) throw new UserError("bad_image", `fetching ${url} took longer than ${timeoutMs} ms`);
    throw new UserError("bad_image", `fetching ${url} failed: ${(e as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}
