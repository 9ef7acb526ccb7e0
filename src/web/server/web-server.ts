import { readdirSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { basename, join, relative, sep } from "node:path";
import type { ServedFile, WebConfig } from "../config.js";
import { sendFile } from "./send-file.js";

export interface WebServerOptions {
  /** The browser build (dist/web). */
  readonly root: string;
  /** The model pair served to the page; absent: the page asks the user for files. */
  readonly model?: { readonly llm: string; readonly mmproj: string };
  /** Shown on the page when there is no model. */
  readonly note?: string;
  /** Send COOP/COEP so the page is cross-origin isolated (threads); default true. */
  readonly isolation?: boolean;
  /** One line per request. */
  readonly log?: (line: string) => void;
  /** Where the page looks up `hf:` model names (default: the Hub itself). */
  readonly hubUrl?: string;
}

/** Every file under `dir`, by URL path ("/demo.js", "/kernels/kernels.wasm"). */
function listFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set("/" + relative(dir, p).split(sep).join("/"), p);
    }
  };
  walk(dir);
  return out;
}

function served(kind: "model" | "mmproj", path: string): ServedFile {
  return { url: `/models/${kind}/${encodeURIComponent(basename(path))}`, name: basename(path), size: statSync(path).size };
}

/**
 * The demo's HTTP server: the browser build, /config.json, and the model files (with byte ranges).
 * Only files known at start are served (no path from a request reaches the file system).
 */
export function createWebServer(opts: WebServerOptions): Server {
  const isolation = opts.isolation ?? true;
  const files = listFiles(opts.root);
  files.set("/", join(opts.root, "index.html"));
  const config: WebConfig = opts.model
    ? { model: { llm: served("model", opts.model.llm), mmproj: served("mmproj", opts.model.mmproj) }, isolation, hubUrl: opts.hubUrl }
    : { model: null, note: opts.note, isolation, hubUrl: opts.hubUrl };
  if (opts.model && config.model) {
    files.set(config.model.llm.url, opts.model.llm);
    files.set(config.model.mmproj.url, opts.model.mmproj);
  }
  const body = JSON.stringify(config);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (isolation) {
      res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
      res.setHeader("Cross-Origin-Embedder-Policy", "require-corp");
    }
    res.setHeader("Cross-Origin-Resource-Policy", "same-origin");
    res.setHeader("X-Content-Type-Options", "nosniff");
    let status = 405;
    let bytes = 0;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD" }).end();
    } else if (path === "/config.json") {
      status = 200;
      bytes = req.method === "HEAD" ? 0 : Buffer.byteLength(body);
      res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-store", "Content-Length": Buffer.byteLength(body) });
      res.end(req.method === "HEAD" ? undefined : body);
    } else if (files.has(path)) {
      ({ status, bytes } = await sendFile(req, res, files.get(path)!));
    } else {
      status = 404;
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
    }
    opts.log?.(`${req.method} ${path}${req.headers.range ? ` ${req.headers.range}` : ""} ${status} ${bytes}`);
  };

  return createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      opts.log?.(`${req.method} ${req.url} failed: ${(e as Error).message}`);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
}
