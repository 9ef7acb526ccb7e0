/**
 * A loopback stand-in for the Hugging Face Hub: the model-info API (/api/models/{repo}/revision/{rev}
 * ?blobs=true) and /{repo}/resolve/{rev}/{path}, which redirects LFS files to a "CDN" path that honours
 * Range requests, as the real Hub does. Faults can be injected to test resuming and verification.
 */
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeFile {
  readonly path: string;
  readonly bytes: Uint8Array;
  /** Stored in LFS (listed with a SHA-256, served through a redirect); small text files are not. */
  readonly lfs?: boolean;
}

export interface FakeRepo {
  readonly repo: string;
  readonly commit: string;
  readonly files: readonly FakeFile[];
  /** Requests without `Authorization: Bearer <token>` get 401. */
  readonly token?: string;
}

export interface Faults {
  /** Close the connection after this many bytes of the next download of each file (once per file). */
  cutAfter?: number;
  /** Send this many bytes of the next download of each file, then nothing (the connection stays open). */
  stallAfter?: number;
  /** Serve these bytes instead of the real ones (the listing keeps the real hash). */
  corrupt?: Record<string, Uint8Array>;
}

export interface FakeHub {
  readonly url: string;
  /** Every request, as "METHOD path [range]". */
  readonly log: string[];
  faults: Faults;
  close(): Promise<void>;
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const gitBlobId = (b: Uint8Array) => createHash("sha1").update(`blob ${b.length}\0`).update(b).digest("hex");

export async function startFakeHub(repos: readonly FakeRepo[]): Promise<FakeHub> {
  const log: string[] = [];
  const cut = new Set<string>();
  const hub: { faults: Faults } = { faults: {} };
  const byName = new Map(repos.map((r) => [r.repo, r]));
  const blobs = new Map<string, FakeFile>();
  for (const r of repos) for (const f of r.files) blobs.set(sha256(f.bytes), f);

  const send = (res: import("node:http").ServerResponse, f: FakeFile, range: string | undefined) => {
    const bytes = hub.faults.corrupt?.[f.path] ?? f.bytes;
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(range ?? "");
    if (m) {
      start = Number(m[1]);
      if (start >= bytes.length) {
        res.writeHead(416, { "content-range": `bytes */${bytes.length}` }).end();
        return;
      }
      res.writeHead(206, { "content-length": bytes.length - start, "content-range": `bytes ${start}-${bytes.length - 1}/${bytes.length}`, "accept-ranges": "bytes", etag: `"${sha256(f.bytes)}"` });
    } else {
      res.writeHead(200, { "content-length": bytes.length, "accept-ranges": "bytes", etag: `"${sha256(f.bytes)}"` });
    }
    if (res.req.method === "HEAD") return void res.end();
    const stallAt = hub.faults.stallAfter;
    if (stallAt !== undefined && !cut.has(f.path) && bytes.length - start > stallAt) {
      cut.add(f.path);
      res.write(bytes.subarray(start, start + stallAt));
      return;
    }
    const cutAt = hub.faults.cutAfter;
    if (cutAt !== undefined && !cut.has(f.path) && bytes.length - start > cutAt) {
      cut.add(f.path);
      // A clean FIN after the bytes (not a reset, which could drop bytes still in flight).
      res.write(bytes.subarray(start, start + cutAt), () => res.socket?.end());
      return;
    }
    res.end(bytes.subarray(start));
  };

  const server: Server = createServer((req, res) => {
    // CORS as the Hub sends it, so pages on another origin can use it (test/web).
    res.setHeader("access-control-allow-origin", "*");
    res.setHeader("access-control-expose-headers", "content-length, content-range, etag, accept-ranges, x-repo-commit");
    if (req.method === "OPTIONS") {
      return void res.writeHead(204, { "access-control-allow-methods": "GET, HEAD", "access-control-allow-headers": "*" }).end();
    }
    const url = new URL(req.url ?? "/", "http://x");
    log.push(`${req.method} ${decodeURIComponent(url.pathname)}${req.headers.range ? ` ${req.headers.range}` : ""}`);
    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(url.pathname);
    if (cdn) {
      const f = blobs.get(cdn[1]);
      if (!f) return void res.writeHead(404).end();
      return send(res, f, req.headers.range);
    }
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(url.pathname);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const repo = byName.get(decodeURIComponent((api ?? resolve)?.[1] ?? ""));
    if (!repo) return void res.writeHead(404, { "content-type": "application/json" }).end('{"error":"Repository not found"}');
    if (repo.token && req.headers.authorization !== `Bearer ${repo.token}`) {
      return void res.writeHead(401, { "content-type": "application/json" }).end('{"error":"Access to model is restricted"}');
    }
    const rev = decodeURIComponent((api ?? resolve)![2]);
    if (rev !== "main" && rev !== repo.commit) return void res.writeHead(404).end('{"error":"Invalid rev id"}');
    if (api) {
      const siblings = repo.files.map((f) => ({
        rfilename: f.path, size: f.bytes.length, blobId: gitBlobId(f.bytes),
        ...(f.lfs ? { lfs: { sha256: sha256(f.bytes), size: f.bytes.length, pointerSize: 134 } } : {}),
      }));
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id: repo.repo, sha: repo.commit, siblings }));
      return;
    }
    const f = repo.files.find((x) => x.path === decodeURIComponent(resolve![3]));
    if (!f) return void res.writeHead(404).end();
    if (f.lfs) return void res.writeHead(302, { location: `/cdn/${sha256(f.bytes)}`, "x-repo-commit": repo.commit }).end();
    send(res, f, req.headers.range);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return Object.assign(hub, {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  });
}
