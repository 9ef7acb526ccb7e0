import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createInterface } from "node:readline";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultModelPaths } from "../../src/node/default-model.js";
import { startWeb } from "../web/web-process.js";
import { startFakeHub, type FakeRepo } from "./fake-hub.js";

/** Runs the CLI from source without blocking this process's event loop (the fake Hub lives here). */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/run.ts", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => { stdout += String(d); });
    child.stderr.on("data", (d) => { stderr += String(d); });
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

const shipped = defaultModelPaths();
// The built-in pair as a llama.cpp "-gguf" repo on the loopback Hub.
const SHAPESWORLD_REPO: FakeRepo = {
  repo: "pocketvlm/shapesworld-gguf", commit: "89abcdef0123456789abcdef0123456789abcdef", files: [
    { path: "shapesworld-F16.gguf", bytes: new Uint8Array(readFileSync(shipped.model)), lfs: true },
    { path: "mmproj-shapesworld-f16.gguf", bytes: new Uint8Array(readFileSync(shipped.mmproj)), lfs: true },
  ],
};

test("pocketvlm pull, then chat --model hf:…: the Hub copy answers as the built-in model", async () => {
  const hub = await startFakeHub([SHAPESWORLD_REPO]);
  const cache = await mkdtemp(join(tmpdir(), "pocketvlm-hub-cli-"));
  try {
    const pulled = await cli(["pull", "pocketvlm/shapesworld-gguf", "--endpoint", hub.url, "--cache-dir", cache, "--json"]);
    assert.equal(pulled.code, 0, pulled.stderr);
    const info = JSON.parse(pulled.stdout) as Record<string, unknown>;
    assert.equal(info.commit, "89abcdef0123456789abcdef0123456789abcdef");
    assert.equal(info.model, join(cache, "models--pocketvlm--shapesworld-gguf", "snapshots", info.commit as string, "shapesworld-F16.gguf"));
    assert.equal(info.from_cache, false);
    assert.equal(info.use, "hf:pocketvlm/shapesworld-gguf");
    assert.match(pulled.stderr, /downloading shapesworld-F16.gguf \(3\.\d MB\)/, "progress lines when stderr is not a terminal");

    const listed = await cli(["list", "--cache-dir", cache, "--json"]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual((JSON.parse(listed.stdout) as { model: string | null; path: string }[]).map((m) => [m.model, m.path]),
      [[null, shipped.model], ["hf:pocketvlm/shapesworld-gguf:F16", info.model]]);

    const question = ["--image", "examples/shapes.png", "What shape is the red object?"];
    const env = { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache };
    const [fromHub, builtIn] = [await cli(["chat", "--model", "hf:pocketvlm/shapesworld-gguf", ...question], env), await cli(["chat", ...question])];
    assert.equal(fromHub.code, 0, fromHub.stderr);
    assert.equal(fromHub.stdout, builtIn.stdout);
    assert.match(fromHub.stdout, /circle/);

    // embed-image takes the repo's projector; same embeddings as the shipped file.
    const [a, b] = [join(cache, "emb-hub"), join(cache, "emb-local")];
    const embHub = await cli(["embed-image", "--mmproj", "hf:pocketvlm/shapesworld-gguf", "--image", "examples/shapes.png", "--out", a], env);
    assert.equal(embHub.code, 0, embHub.stderr);
    await cli(["embed-image", "--mmproj", shipped.mmproj, "--image", "examples/shapes.png", "--out", b]);
    assert.deepEqual(readFileSync(join(a, "crop-0.f32")), readFileSync(join(b, "crop-0.f32")));

    // Offline, from the cache; a missing repo is a clear one-line error with exit code 1.
    await hub.close();
    const offline = await cli(["pull", "pocketvlm/shapesworld-gguf", "--cache-dir", cache, "--offline"]);
    assert.equal(offline.code, 0, offline.stderr);
    assert.match(offline.stdout, /from the cache/);
    const missing = await cli(["chat", "--model", "hf:pocketvlm/absent", ...question], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /pocketvlm\/absent@main is not in the cache .* cannot reach/);
  } finally {
    await hub.close().catch(() => {});
    await rm(cache, { recursive: true, force: true });
  }
});

test("pocketvlm serve --model hf:…: downloads with log lines, names the model after the repo", async () => {
  const hub = await startFakeHub([SHAPESWORLD_REPO]);
  const cache = await mkdtemp(join(tmpdir(), "pocketvlm-hub-serve-"));
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/run.ts", "serve", "--model", "hf:pocketvlm/shapesworld-gguf:F16", "--port", "0"],
    { env: { ...process.env, HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache }, stdio: ["ignore", "pipe", "pipe"] });
  try {
    const logs: Record<string, unknown>[] = [];
    let stderr = "";
    child.stderr.on("data", (d) => { stderr += String(d); });
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).on("line", (line) => {
        const rec = JSON.parse(line) as Record<string, unknown>;
        logs.push(rec);
        if (rec.msg === "listening") resolve(rec.url as string);
      });
      child.on("exit", (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    const downloads = logs.filter((l) => l.msg === "downloading model");
    assert.ok(downloads.some((l) => l.file === "shapesworld-F16.gguf" && l.done_bytes === l.total_bytes), "a finished-download line");
    const models = await (await fetch(`${url}/v1/models`)).json() as { data: { id: string }[] };
    assert.deepEqual(models.data.map((m) => m.id), ["pocketvlm/shapesworld-gguf:F16"]);
  } finally {
    child.kill("SIGTERM");
    await hub.close();
    await rm(cache, { recursive: true, force: true });
  }
});

test("pocketvlm web --model hf:…: the page is served the Hub pair from the cache", async () => {
  const hub = await startFakeHub([SHAPESWORLD_REPO]);
  const cache = await mkdtemp(join(tmpdir(), "pocketvlm-hub-web-"));
  const web = await startWeb({ model: "hf:pocketvlm/shapesworld-gguf", isolation: false, env: { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache } });
  try {
    const cfg = await (await fetch(`${web.url}config.json`)).json() as { model: { llm: { url: string; name: string }; mmproj: { url: string } } };
    assert.equal(cfg.model.llm.name, "shapesworld-F16.gguf");
    assert.deepEqual(new Uint8Array(await (await fetch(new URL(cfg.model.mmproj.url, web.url))).arrayBuffer()), SHAPESWORLD_REPO.files[1].bytes);
  } finally {
    await web.stop();
    await hub.close();
    await rm(cache, { recursive: true, force: true });
  }
});
