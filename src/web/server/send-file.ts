import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { parseRange } from "./byte-range.js";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".wasm": "application/wasm",
  ".gguf": "application/octet-stream",
};

export function contentType(path: string): string {
  const dot = path.lastIndexOf(".");
  return TYPES[dot >= 0 ? path.slice(dot) : ""] ?? "application/octet-stream";
}

/**
 * Sends a file (GET or HEAD) with Range support (206 / 416), an ETag from size and mtime, and
 * `Accept-Ranges: bytes`. Returns the status and the number of body bytes sent.
 */
export async function sendFile(req: IncomingMessage, res: ServerResponse, path: string): Promise<{ status: number; bytes: number }> {
  const st = await stat(path);
  const size = st.size;
  const range = parseRange(req.headers.range, size);
  res.setHeader("Accept-Ranges", "bytes");
  res.setHeader("ETag", `"${size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`);
  res.setHeader("Last-Modified", st.mtime.toUTCString());
  res.setHeader("Cache-Control", "no-cache");
  res.setHeader("Content-Type", contentType(path));
  if (range === "unsatisfiable") {
    res.writeHead(416, { "Content-Range": `bytes */${size}` }).end();
    return { status: 416, bytes: 0 };
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? size - 1;
  const length = size === 0 ? 0 : end - start + 1;
  const status = range ? 206 : 200;
  res.setHeader("Content-Length", String(length));
  if (range) res.setHeader("Content-Range", `bytes ${start}-${end}/${size}`);
  res.writeHead(status);
  if (req.method === "HEAD" || length === 0) {
    res.end();
    return { status, bytes: 0 };
  }
  await pipeline(createReadStream(path, { start, end }), res);
  return { status, bytes: length };
}
