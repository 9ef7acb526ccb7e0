import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseRange } from "../../src/web/server/byte-range.js";
import { createWebServer } from "../../src/web/server/web-server.js";
import type { WebConfig } from "../../src/web/config.js";

// The demo's HTTP server on its own: isolation headers, byte ranges for model files, nothing but
// the files it was given.
test("parseRange: single ranges, suffixes, open ends, unsatisfiable and ignored forms", () => {
  assert.equal(parseRange(undefined, 100), undefined);
  assert.deepEqual(parseRange("bytes=0-9", 100), { start: 0, end: 9 });
  assert.deepEqual(parseRange("bytes=90-", 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange("bytes=95-200", 100), { start: 95, end: 99 });
  assert.deepEqual(parseRange("bytes=-10", 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange("bytes=-1000", 100), { start: 0, end: 99 });
  assert.equal(parseRange("bytes=100-", 100), "unsatisfiable");
  assert.equal(parseRange("bytes=5-4", 100), "unsatisfiable");
  assert.equal(parseRange("bytes=-0", 100), "unsatisfiable");
  assert.equal(parseRange("bytes=0-1,5-6", 100), undefined);
  assert.equal(parseRange("items=0-1", 100), undefined);
  // beyond 4 GiB: offsets stay exact
  assert.deepEqual(parseRange("bytes=5000000000-5000000009", 6e9), { start: 5e9, end: 5e9 + 9 });
});

describe("web server", () => {
  const dir = mkdtempSync(join(tmpdir(), "pocketvlm-web-"));
  const model = new Uint8Array(1000).map((_, i) => i & 255);
  let servers: Server[] = [];
  const start = async (isolation: boolean): Promise<string> => {
    const s = createWebServer({ root: join(dir, "web"), model: { llm: join(dir, "m.gguf"), mmproj: join(dir, "p.gguf") }, isolation });
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    servers.push(s);
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  };
  before(() => {
    mkdirSync(join(dir, "web", "kernels"), { recursive: true });
    writeFileSync(join(dir, "web", "index.html"), "<!doctype html>");
    writeFileSync(join(dir, "web", "kernels", "k.wasm"), new Uint8Array([0, 97, 115, 109]));
    writeFileSync(join(dir, "m.gguf"), model);
    writeFileSync(join(dir, "p.gguf"), model.subarray(0, 10));
  });
  after(() => {
    for (const s of servers) s.close();
    servers = [];
    rmSync(dir, { recursive: true, force: true });
  });

  test("COOP/COEP on every response with isolation, none without", async () => {
    const on = await start(true);
    const off = await start(false);
    for (const path of ["/", "/config.json", "/kernels/k.wasm", "/missing"]) {
      const r = await fetch(on + path);
      assert.equal(r.headers.get("cross-origin-opener-policy"), "same-origin", path);
      assert.equal(r.headers.get("cross-origin-embedder-policy"), "require-corp", path);
      const r2 = await fetch(off + path);
      assert.equal(r2.headers.get("cross-origin-opener-policy"), null, path);
      assert.equal(r2.headers.get("cross-origin-embedder-policy"), null, path);
    }
    assert.equal((await fetch(on + "/kernels/k.wasm")).headers.get("content-type"), "application/wasm");
  });

  test("config.json names the model files; they are served whole, by range, and to HEAD", async () => {
    const base = await start(true);
    const cfg = (await (await fetch(base + "/config.json")).json()) as WebConfig;
    assert.equal(cfg.isolation, true);
    assert.deepEqual(cfg.model!.llm, { url: "/models/model/m.gguf", name: "m.gguf", size: 1000 });
    const url = base + cfg.model!.llm.url;
    const whole = await fetch(url);
    assert.equal(whole.status, 200);
    assert.deepEqual(new Uint8Array(await whole.arrayBuffer()), model);
    assert.equal(whole.headers.get("accept-ranges"), "bytes");
    const part = await fetch(url, { headers: { range: "bytes=300-309" } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("content-range"), "bytes 300-309/1000");
    assert.deepEqual(new Uint8Array(await part.arrayBuffer()), model.subarray(300, 310));
    const head = await fetch(url, { method: "HEAD" });
    assert.equal(head.headers.get("content-length"), "1000");
    assert.ok(head.headers.get("etag"));
    const bad = await fetch(url, { headers: { range: "bytes=1000-" } });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers.get("content-range"), "bytes */1000");
  });

  test("only the given files: no path reaches the file system, other methods refused", async () => {
    const base = await start(true);
    for (const path of ["/../m.gguf", "/%2e%2e/m.gguf", "/models/model/p.gguf", "/models/model/..%2fp.gguf", "/web/index.html"]) {
      assert.equal((await fetch(base + path)).status, 404, path);
    }
    assert.equal((await fetch(base + "/", { method: "POST" })).status, 405);
  });
});
