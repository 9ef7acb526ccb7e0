import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../../src/errors.js";
import { defaultModelPaths } from "../../src/node/default-model.js";
import { withFileLock } from "../../src/node/file-lock.js";
import { hubGgufUrls } from "../../src/hub/hub-urls.js";
import { localModelPaths, resolveHubModel } from "../../src/node/hub-model.js";
import { listCachedModels } from "../../src/node/hub-list.js";
import { startFakeHub, type FakeRepo } from "./fake-hub.js";

const shipped = defaultModelPaths();
const LLM = new Uint8Array(readFileSync(shipped.model));
const MMPROJ = new Uint8Array(readFileSync(shipped.mmproj));
const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

// The shipped ShapesWorld pair laid out as a llama.cpp "-gguf" repo: two LLM quant names (same bytes), one projector.
const GGUF_REPO: FakeRepo = {
  repo: "pocketvlm/shapesworld-gguf", commit: COMMIT, files: [
    { path: "README.md", bytes: new TextEncoder().encode("# ShapesWorld\n") },
    { path: "shapesworld-F16.gguf", bytes: LLM, lfs: true },
    { path: "shapesworld-Q8_0.gguf", bytes: LLM, lfs: true },
    { path: "mmproj-shapesworld-f16.gguf", bytes: MMPROJ, lfs: true },
  ],
};
const GATED: FakeRepo = { ...GGUF_REPO, repo: "pocketvlm/gated-gguf", token: "hf_secret" };

async function tempCache(): Promise<string> {
  return mkdtemp(join(tmpdir(), "pocketvlm-hub-"));
}

test("resolveHubModel: downloads the chosen files into the Hugging Face cache layout, once", async () => {
  const hub = await startFakeHub([GGUF_REPO]);
  const cacheDir = await tempCache();
  try {
    const seen: string[] = [];
    const r = await resolveHubModel({ repo: GGUF_REPO.repo, revision: "main", quant: "F16" },
      { endpoint: hub.url, cacheDir, onProgress: (p, done, total) => { if (done === total) seen.push(p); } }, {});
    const folder = join(cacheDir, "models--pocketvlm--shapesworld-gguf");
    assert.equal(r.model, join(folder, "snapshots", COMMIT, "shapesworld-F16.gguf"));
    assert.equal(r.mmproj, join(folder, "snapshots", COMMIT, "mmproj-shapesworld-f16.gguf"));
    assert.equal(r.commit, COMMIT);
    assert.equal(r.fromCache, false);
    assert.deepEqual(seen.sort(), ["mmproj-shapesworld-f16.gguf", "shapesworld-F16.gguf"]);
    // Same bytes as shipped, stored as blobs/<sha256> with relative links from the snapshot, refs/main = the commit.
    assert.deepEqual(new Uint8Array(await readFile(r.model)), LLM);
    assert.ok((await lstat(r.model)).isSymbolicLink());
    assert.equal(await readlink(r.model), join("..", "..", "blobs", sha256(LLM)));
    assert.deepEqual((await readdir(join(folder, "blobs"))).sort(), [sha256(LLM), sha256(MMPROJ)].sort());
    assert.equal(await readFile(join(folder, "refs", "main"), "utf8"), COMMIT);
    // The README and the other quant were not fetched; the redirect to the "CDN" was followed.
    assert.ok(!hub.log.some((l) => l.includes("README") || l.includes("Q8_0")));
    assert.ok(hub.log.some((l) => l.startsWith("GET /cdn/")));
    // A second resolve asks the Hub for the commit again but downloads nothing; the Q8_0 name reuses the F16 blob.
    const before = hub.log.length;
    const again = await resolveHubModel({ repo: GGUF_REPO.repo, revision: "main", quant: "F16" }, { endpoint: hub.url, cacheDir }, {});
    assert.equal(again.model, r.model);
    assert.deepEqual(hub.log.slice(before).map((l) => l.split(" ")[1].split("/")[1]), ["api"]);
    const q8 = await resolveHubModel({ repo: GGUF_REPO.repo, revision: "main" }, { endpoint: hub.url, cacheDir }, {});
    assert.ok(q8.model.endsWith("shapesworld-Q8_0.gguf"), "default quant preference: Q8_0 before F16");
    assert.ok(!hub.log.slice(before).some((l) => l.includes("/cdn/")), "same content hash: no download");
  } finally {
    await hub.close();
    await rm(cacheDir, { recursive: true, force: true });
  }
});

test("resolveHubModel: an interrupted download resumes with a Range request; a corrupt one is deleted, never linked", async () => {
  const hub = await startFakeHub([GGUF_REPO]);
  const cacheDir = await tempCache();
  const ref = { repo: GGUF_REPO.repo, revision: "main", quant: "F16" };
  try {
    hub.faults = { cutAfter: 1_000_000 };
    await assert.rejects(resolveHubModel(ref, { endpoint: hub.url, cacheDir }, {}), (e: unknown) =>
      e instanceof UserError && /download interrupted after \d+ of \d+ bytes.*run again to resume/.test(e.message));
    const blobs = join(cacheDir, "models--pocketvlm--shapesworld-gguf", "blobs");
    assert.deepEqual(await readdir(blobs), [`${sha256(LLM)}.incomplete`]);
    hub.faults = {};
    const r = await resolveHubModel(ref, { endpoint: hub.url, cacheDir }, {});
    assert.ok(hub.log.some((l) => /bytes=[1-9]\d*-$/.test(l)), "resumed where it stopped");
    assert.deepEqual(new Uint8Array(await readFile(r.model)), LLM);

    const corrupt = new Uint8Array(MMPROJ);
    corrupt[12345] ^= 1;
    const other = await tempCache();
    hub.faults = { corrupt: { "mmproj-shapesworld-f16.gguf": corrupt } };
    await assert.rejects(resolveHubModel(ref, { endpoint: hub.url, cacheDir: other }, {}), (e: unknown) =>
      e instanceof UserError && e.code === "bad_file" && /mmproj-shapesworld-f16.gguf: the download does not match/.test(e.message));
    const left = await readdir(join(other, "models--pocketvlm--shapesworld-gguf", "blobs"));
    assert.deepEqual(left, [sha256(LLM)], "the corrupt file left nothing behind");
    await assert.rejects(readdir(join(other, "models--pocketvlm--shapesworld-gguf", "refs")), "no ref to a half-fetched snapshot");
    await rm(other, { recursive: true, force: true });
  } finally {
    await hub.close();
    await rm(cacheDir, { recursive: true, force: true });
  }
});

test("resolveHubModel: offline or with the Hub down the cache answers; gated repos need the token; clear errors", async () => {
  const hub = await startFakeHub([GGUF_REPO, GATED]);
  const cacheDir = await tempCache();
  try {
    const ref = { repo: GGUF_REPO.repo, revision: "main", quant: "F16" };
    await assert.rejects(resolveHubModel(ref, { endpoint: hub.url, cacheDir, offline: true }, {}), /is not in the cache .* offline mode/);
    const online = await resolveHubModel(ref, { endpoint: hub.url, cacheDir }, {});
    const n = hub.log.length;
    const off = await resolveHubModel(ref, { endpoint: hub.url, cacheDir }, { HF_HUB_OFFLINE: "1" });
    assert.equal(hub.log.length, n, "HF_HUB_OFFLINE: no request");
    assert.deepEqual({ ...off, fromCache: false }, online);
    assert.equal(off.fromCache, true);
    await assert.rejects(resolveHubModel({ ...ref, quant: "Q8_0" }, { cacheDir, offline: true }, {}), /no language-model GGUF file for quant Q8_0; it holds: .*F16/);
    await assert.rejects(resolveHubModel({ repo: "pocketvlm/nothing", revision: "main" }, { endpoint: hub.url, cacheDir }, {}), /no such model repo or revision/);
    await assert.rejects(resolveHubModel({ repo: GATED.repo, revision: "main", quant: "F16" }, { endpoint: hub.url, cacheDir }, {}), /access denied .*HF_TOKEN/);
    const gated = await resolveHubModel({ repo: GATED.repo, revision: "main", quant: "F16" }, { endpoint: hub.url, cacheDir }, { HF_TOKEN: "hf_secret" });
    assert.deepEqual(new Uint8Array(await readFile(gated.mmproj!)), MMPROJ);
    // The token `hf auth login` saved in $HF_HOME/token works too.
    const home = await tempCache();
    await writeFile(join(home, "token"), "hf_secret\n");
    await resolveHubModel({ repo: GATED.repo, revision: "main", quant: "F16" }, { endpoint: hub.url, cacheDir }, { HF_HOME: home });
    await rm(home, { recursive: true, force: true });
    // A pinned commit whose snapshot holds the model: the Hub is not asked.
    const m = hub.log.length;
    assert.equal((await resolveHubModel({ ...ref, revision: COMMIT }, { endpoint: hub.url, cacheDir }, {})).model, online.model);
    assert.equal(hub.log.length, m);
    // The Hub gone: the cached snapshot answers.
    await hub.close();
    const down = await resolveHubModel({ ...ref, revision: COMMIT }, { endpoint: hub.url, cacheDir }, {});
    assert.equal(down.model, online.model);
    assert.equal(down.fromCache, true);
    await assert.rejects(resolveHubModel({ repo: "pocketvlm/other", revision: "main" }, { endpoint: hub.url, cacheDir }, {}), /not in the cache .* cannot reach/);
  } finally {
    await hub.close().catch(() => {});
    await rm(cacheDir, { recursive: true, force: true });
  }
});

test("localModelPaths: an explicit --mmproj wins over the repo's; local paths pass through", async () => {
  const hub = await startFakeHub([GGUF_REPO]);
  const cacheDir = await tempCache();
  try {
    const both = await localModelPaths("hf:pocketvlm/shapesworld-gguf:F16", "/x/mmproj.gguf", { endpoint: hub.url, cacheDir });
    assert.ok(both.model!.endsWith("shapesworld-F16.gguf"));
    assert.equal(both.mmproj, "/x/mmproj.gguf");
    assert.ok(!hub.log.some((l) => l.includes("mmproj") || l.endsWith(sha256(MMPROJ))), "the repo's projector was not fetched");
    assert.deepEqual(await localModelPaths("a.gguf", "b.gguf", { endpoint: hub.url, cacheDir }), { model: "a.gguf", mmproj: "b.gguf" });
  } finally {
    await hub.close();
    await rm(cacheDir, { recursive: true, force: true });
  }
});

test("hubGgufUrls (pages): the pair's download URLs, pinned to the commit, and they serve the files", async () => {
  const hub = await startFakeHub([GGUF_REPO]);
  try {
    const urls = await hubGgufUrls({ repo: GGUF_REPO.repo, revision: "main", quant: "F16" }, { url: hub.url });
    assert.equal(urls.model, `${hub.url}/pocketvlm/shapesworld-gguf/resolve/${COMMIT}/shapesworld-F16.gguf`);
    assert.equal(urls.mmproj, `${hub.url}/pocketvlm/shapesworld-gguf/resolve/${COMMIT}/mmproj-shapesworld-f16.gguf`);
    assert.deepEqual(new Uint8Array(await (await fetch(urls.mmproj!)).arrayBuffer()), MMPROJ);
  } finally {
    await hub.close();
  }
});

test("resolveHubModel: two fetches of one model at once download each file once; a dead process's lock is taken over", async () => {
  const hub = await startFakeHub([GGUF_REPO]);
  const cacheDir = await tempCache();
  try {
    const ref = { repo: GGUF_REPO.repo, revision: "main", quant: "F16" };
    const [a, b] = await Promise.all([1, 2].map(() => resolveHubModel(ref, { endpoint: hub.url, cacheDir }, {})));
    assert.deepEqual(a, b);
    assert.equal(hub.log.filter((l) => l === `GET /cdn/${sha256(LLM)}`).length, 1);
    assert.deepEqual(new Uint8Array(await readFile(b.model)), LLM);

    const other = await tempCache();
    const blobs = join(other, "models--pocketvlm--shapesworld-gguf", "blobs");
    await mkdir(blobs, { recursive: true });
    const lock = join(blobs, `${sha256(MMPROJ)}.lock`);
    await writeFile(lock, "");
    const old = new Date(Date.now() - 120_000);
    await utimes(lock, old, old);
    const r = await resolveHubModel(ref, { endpoint: hub.url, cacheDir: other }, {});
    assert.deepEqual(new Uint8Array(await readFile(r.mmproj!)), MMPROJ);
    assert.deepEqual((await readdir(blobs)).sort(), [sha256(LLM), sha256(MMPROJ)].sort(), "no lock or partial file left");
    await rm(other, { recursive: true, force: true });
  } finally {
    await hub.close();
    await rm(cacheDir, { recursive: true, force: true });
  }
});

test("withFileLock: a held lock makes the next holder wait until it is released", async () => {
  const dir = await tempCache();
  try {
    const path = join(dir, "x.lock");
    const order: string[] = [];
    let waited = false;
    const first = withFileLock(path, async () => { order.push("first in"); await new Promise((r) => setTimeout(r, 300)); order.push("first out"); });
    await new Promise((r) => setTimeout(r, 50));
    const second = withFileLock(path, async () => { order.push("second"); }, { pollMs: 20, onWait: () => { waited = true; } });
    await Promise.all([first, second]);
    assert.deepEqual(order, ["first in", "first out", "second"]);
    assert.ok(waited);
    await assert.rejects(readFile(path), "released");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("resolveHubModel: a download that stalls is dropped after stallMs and resumed on the next run", async () => {
  const hub = await startFakeHub([GGUF_REPO]);
  const cacheDir = await tempCache();
  try {
    const ref = { repo: GGUF_REPO.repo, revision: "main", quant: "F16" };
    hub.faults = { stallAfter: 200_000 };
    const t0 = performance.now();
    await assert.rejects(resolveHubModel(ref, { endpoint: hub.url, cacheDir, stallMs: 300 }, {}), /interrupted after \d+ of \d+ bytes \(no data for 0.3 s\); run again to resume/);
    assert.ok(performance.now() - t0 < 5000);
    hub.faults = {};
    const r = await resolveHubModel(ref, { endpoint: hub.url, cacheDir }, {});
    assert.ok(hub.log.some((l) => /bytes=[1-9]\d*-$/.test(l)), "resumed");
    assert.deepEqual(new Uint8Array(await readFile(r.model)), LLM);
  } finally {
    await hub.close();
    await rm(cacheDir, { recursive: true, force: true });
  }
});

test("listCachedModels: one entry per cached quant (with the projector), named as --model hf:… takes it", async () => {
  const hub = await startFakeHub([GGUF_REPO]);
  const cacheDir = await tempCache();
  try {
    assert.deepEqual(await listCachedModels(cacheDir), []);
    await resolveHubModel({ repo: GGUF_REPO.repo, revision: "main", quant: "F16" }, { endpoint: hub.url, cacheDir }, {});
    const one = await listCachedModels(cacheDir);
    assert.deepEqual(one.map((m) => [m.ref, m.kind, m.revisions, m.bytes]), [[`${GGUF_REPO.repo}:F16`, "gguf", ["main"], LLM.length + MMPROJ.length]]);
    await resolveHubModel({ repo: GGUF_REPO.repo, revision: "main", quant: "Q8_0" }, { endpoint: hub.url, cacheDir }, {});
    const two = await listCachedModels(cacheDir);
    assert.deepEqual(two.map((m) => m.ref), [`${GGUF_REPO.repo}:F16`, `${GGUF_REPO.repo}:Q8_0`]);
    assert.ok(two.every((m) => m.mmproj?.endsWith("mmproj-shapesworld-f16.gguf") && m.commit === COMMIT));
  } finally {
    await hub.close();
    await rm(cacheDir, { recursive: true, force: true });
  }
});
