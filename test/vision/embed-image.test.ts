/** `pocketvlm embed-image` end to end (spawned): llama.cpp and authors' goldens, sources, atomic output, errors. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { HF, LLAMACPP_45, SRC, TINY_MMPROJ, diff, readF32, readJson } from "./helpers.js";

const ROOT = join(SRC, "..");
const tmp = mkdtempSync(join(tmpdir(), "pocketvlm-embed-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/run.ts", "embed-image", "--backend", "js", ...args], { cwd: ROOT, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("mmproj + llama.cpp preprocessing and numerics: every crop within 1e-4 of llama.cpp; crops.json describes the slicing", () => {
  const out = join(tmp, "llamacpp");
  const image = join(LLAMACPP_45, "images", "img_640x488.png");
  const r = cli("--mmproj", join(LLAMACPP_45, "mmproj-f16.gguf"), "--image", image, "--preprocess", "llamacpp", "--numerics", "llamacpp", "--out", out);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split("\n").length, 1);
  assert.equal(JSON.parse(r.stdout).crops, 3);
  const info = readJson(join(out, "crops.json"));
  const g = readJson(join(LLAMACPP_45, "golden.json"));
  const pre = g.preprocess.items.find((p: any) => p.image === "images/img_640x488.png");
  const embd = g.image_embeddings.find((e: any) => e.image === "images/img_640x488.png");
  assert.deepEqual(info.grid, pre.grid);
  assert.deepEqual(info.original_size, pre.original_size);
  assert.deepEqual(info.overview_size, pre.overview_size);
  assert.deepEqual(info.refined_size, pre.refined_size);
  assert.equal(info.queries, 64);
  assert.equal(info.width, 256);
  assert.deepEqual(readdirSync(out).sort(), ["crop-0.f32", "crop-1.f32", "crop-2.f32", "crops.json"]);
  embd.chunks.forEach((chunk: any, i: number) => {
    assert.deepEqual(info.crops[i].size, chunk.input_size);
    assert.equal(info.crops[i].kind, chunk.kind);
    if (i > 0) {
      const [x, y, w, h] = pre.chunks[i].crop_in_refined; // llama.cpp: x, y, width, height
      assert.deepEqual(info.crops[i].box, [x, y, x + w, y + h]);
    }
    const d = diff(readF32(join(out, info.crops[i].file)), readF32(join(LLAMACPP_45, chunk.embd.file)));
    assert.ok(d.maxAbs <= 1e-4, `crop ${i}: ${d.maxAbs}`);
  });
  assert.deepEqual(info.crops.map((c: any) => [c.row, c.col]), [[0, 0], [0, 0], [0, 1]]);
});

const sq448 = join(HF, "images", "sq_448x448.png");
const v26 = readJson(join(HF, "golden.json")).vision_resampler.cases.find((c: any) => c.label === "v2.6 unsliced");

function checkV26(out: string): void {
  const info = readJson(join(out, "crops.json"));
  assert.equal(info.grid, null);
  assert.equal(info.crops.length, 1);
  const d = diff(readF32(join(out, "crop-0.f32")), readF32(join(HF, v26.resampler_out.file)));
  assert.ok(d.rel <= 1e-4, `rel ${d.rel}`);
}

test("authors' checkpoint folder and safetensors file (config.json beside it) give the authors' golden", () => {
  const folder = join(tmp, "ckpt");
  mkdirSync(folder);
  copyFileSync(join(HF, "weights", "tiny_q64.safetensors"), join(folder, "model.safetensors"));
  copyFileSync(join(HF, "weights", "tiny_q64_v2_6.config.json"), join(folder, "config.json"));
  const a = cli("--mmproj", folder, "--image", sq448, "--out", join(tmp, "from-folder"));
  assert.equal(a.code, 0, a.stderr);
  checkV26(join(tmp, "from-folder"));
  const b = cli("--mmproj", join(folder, "model.safetensors"), "--image", sq448, "--out", join(tmp, "from-file"));
  assert.equal(b.code, 0, b.stderr);
  checkV26(join(tmp, "from-file"));
  assert.equal(readJson(join(tmp, "from-file", "crops.json")).source, "safetensors");
});

test("a second run replaces an earlier result; any other existing --out is refused untouched", () => {
  const out = join(tmp, "again");
  for (let i = 0; i < 2; i++) {
    const r = cli("--mmproj", TINY_MMPROJ, "--image", sq448, "--max-slices", "1", "--out", out);
    assert.equal(r.code, 0, r.stderr);
  }
  checkV26(out);
  assert.deepEqual(readdirSync(tmp).filter((f) => f.includes(".partial") || f.includes(".old")), []);
  const foreign = join(tmp, "foreign");
  mkdirSync(foreign);
  writeFileSync(join(foreign, "notes.txt"), "keep me");
  const r = cli("--mmproj", TINY_MMPROJ, "--image", sq448, "--out", foreign);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /foreign: exists and is not an earlier embed-image result/);
  assert.deepEqual(readdirSync(foreign), ["notes.txt"]);
});

function failsCleanly(args: string[], message: RegExp): void {
  const out = join(tmp, "never");
  const r = cli(...args, "--out", out);
  assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0], message);
  assert.equal(r.stdout, "");
  assert.ok(!existsSync(out), "no output folder");
  assert.deepEqual(readdirSync(tmp).filter((f) => f.startsWith("never")), []);
}

test("bad input → exit 1, one line, nothing written", () => {
  failsCleanly(["--mmproj", TINY_MMPROJ, "--image", join(tmp, "missing.png")], /^pocketvlm: .*missing\.png/);
  const notImage = join(tmp, "not-image.png");
  writeFileSync(notImage, "hello");
  failsCleanly(["--mmproj", TINY_MMPROJ, "--image", notImage], /^pocketvlm: .*not-image\.png/);
  failsCleanly(["--mmproj", join(tmp, "missing.gguf"), "--image", sq448], /^pocketvlm: .*missing\.gguf: no such file/);
  failsCleanly(["--mmproj", join(LLAMACPP_45, "llm-f16.gguf"), "--image", sq448], /not a vision projector .*"qwen3"/);
  const lone = join(tmp, "lone");
  mkdirSync(lone);
  copyFileSync(join(HF, "weights", "tiny_q64.safetensors"), join(lone, "w.safetensors"));
  failsCleanly(["--mmproj", join(lone, "w.safetensors"), "--image", sq448], /config\.json, which is missing/);
  failsCleanly(["--mmproj", TINY_MMPROJ, "--image", sq448, "--max-slices", "0"], /--max-slices/);
});
