import { UserError } from "../errors.js";
import type { ByteSource } from "../io/byte-source.js";

/** Size (and validator) of a URL from a HEAD request; undefined when the server does not answer one. */
export async function headOf(url: string): Promise<{ size: number; etag: string } | undefined> {
  let res: Response;
  try {
    res = await fetch(url, { method: "HEAD", cache: "no-store" });
  } catch {
    return undefined;
  }
  const size = Number(res.headers.get("content-length"));
  if (!res.ok || !Number.isFinite(size)) return undefined;
  return { size, etag: res.headers.get("etag") ?? res.headers.get("last-modified") ?? "" };
}

/**
 * A ByteSource over HTTP Range requests: nothing is kept, each read fetches its bytes (the server must
 * answer 206). For files the browser should not store, or where no storage is available.
 */
export async function httpRangeSource(url: string): Promise<ByteSource> {
  const head = await headOf(url);
  if (!head) throw new UserError("missing", `${url}: the server did not answer a HEAD request with a size`);
  const size = head.size;
  return {
    name: url,
    size,
    async read(offset, length, into) {
      if (offset < 0 || length < 0 || offset + length > size) {
        throw new RangeError(`${url}: read of ${length} bytes at ${offset} is past the end (${size} bytes)`);
      }
      const out = into ?? new Uint8Array(length);
      if (length === 0) return out.subarray(0, 0);
      const res = await fetch(url, { headers: { range: `bytes=${offset}-${offset + length - 1}` }, cache: "no-store" });
      if (res.status !== 206 || !res.body) throw new UserError("bad_file", `${url}: the server does not serve byte ranges (HTTP ${res.status})`);
      let at = 0;
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (at + value.length > length) throw new UserError("bad_file", `${url}: the server sent more bytes than the range asked for`);
        out.set(value, at);
        at += value.length;
      }
      if (at !== length) throw new UserError("bad_file", `${url}: got ${at} of ${length} bytes at ${offset}`);
      return out.subarray(0, length);
    },
  };
}
