/**
 * Smoke test of `npm run bench:vision`: the whole pipeline (mmproj and LLM writing, child-process
 * measurements, JSON report) with `--small` (a toy tower and LLM of the benchmark's structure).
 * Timings are not checked, only that they exist and the report has its shape.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readGGUF } from "../../src/formats/gguf/reader.js";
import { GGMLType } from "../../src/formats/gguf/ggml-types.js";
import { fileSource } from "../../src/node/file-source.js";
import { loadMmproj } from "../../src/models/vision/index.js";
import type { VisionBenchReport } from "../../bench/vision/report.js";
import { parseEncodeTimes } from "../../bench/vision/peer.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

function runBench(args: string[]): { stdout: string; stderr: string; status: number | null } {
  const env = { ...process.env };
  delete env.LLAMA_MTMD_CLI;
  const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "bench", "vision.ts"), ...args], { cwd: ROOT, env, encoding: "utf8", timeout: 60_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

test("bench:vision --small --json: one JSON object with crop and time-to-first-token rows; files cached", { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "pocketvlm-vbench-"));
  try {
    const r = runBench(["--small", "--json", "--types", "f16,q8_0", "--threads", "1,2", "--reps", "1", "--cache-dir", dir]);
    assert.equal(r.status, 0, `bench:vision exited with ${r.status}: ${r.stderr}`);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, 1, `--json prints exactly one line on stdout, got:\n${r.stdout}`);
    const report = JSON.parse(lines[0]) as VisionBenchReport;
    assert.match(r.stderr, /crop encoding, F16, 1 thread/);

    assert.equal(report.benchmark, "pocketvlm vision");
    assert.equal(report.settings.config, "small");
    assert.deepEqual(report.settings.types, ["f16", "q8_0"]);
    assert.deepEqual(report.settings.threads, [1, 2]);
    assert.equal(report.settings.ttftThreads, 2);
    assert.deepEqual(report.targets, { cropSpeedup: 2, ttftRatio: 0.6 });
    assert.equal(report.peer, undefined);
    assert.deepEqual(report.settings.image, { path: report.settings.image.path, width: 1344, height: 896 });
    assert.ok(Object.values(report.settings.cropGflop).every((x) => x > 0));

    // files: two mmprojs in llama.cpp's layout and types, and the LLM with the image tokens
    assert.deepEqual(report.files.map((f) => `${f.role}/${f.type}`), ["mmproj/f16", "mmproj/q8_0", "llm/q4_0"]);
    for (const f of report.files) {
      assert.equal(f.reused, false);
      const src = await fileSource(f.path);
      try {
        const g = await readGGUF(src);
        if (f.role === "mmproj") {
          const { config } = loadMmproj(g);
          assert.equal(config.version, 5);
          assert.equal(config.outDim, 256);
          assert.equal(g.metadata.get("clip.projector_type")?.value, "resampler");
          assert.equal(g.tensor("v.blk.0.attn_q.weight")?.type, f.type === "f16" ? GGMLType.F16 : GGMLType.Q8_0);
          assert.equal(g.tensor("v.blk.0.ffn_up.weight")?.type, GGMLType.F16); // 112-wide rows: F16 in both
          assert.equal(g.tensor("v.blk.0.ln1.weight")?.type, GGMLType.F32);
          assert.equal(g.tensor("resampler.pos_embed_k")?.type, GGMLType.F32);
        } else {
          const tokens = (g.metadata.get("tokenizer.ggml.tokens")?.value as { items: string[] }).items;
          for (const t of ["<image>", "</image>", "<slice>", "</slice>"]) assert.ok(tokens.includes(t), `token ${t}`);
          assert.ok(String(g.metadata.get("tokenizer.chat_template")?.value).includes("<|im_start|>"));
        }
      } finally {
        await src.close?.();
      }
    }

    assert.equal(report.crops.length, 4);
    for (const c of report.crops) {
      assert.ok(c.ours.ok, `crop measurement failed: ${JSON.stringify(c.ours)}`);
      if (!c.ours.ok) continue;
      assert.equal(c.ours.kind, "crop");
      assert.equal(c.ours.patches, 1024);
      assert.equal(c.ours.samples.length, 1);
      assert.ok(c.ours.secondsPerCrop > 0 && c.ours.coldSeconds > 0 && c.ours.maxRssBytes > 0);
      assert.equal(c.speedup, undefined, "no peer, no ratio");
      const parts = c.ours.profile?.parts ?? {};
      for (const k of ["patch_embed", "attn_proj", "attention", "mlp", "resampler_matmul", "resampler_attention", "rest"]) assert.ok(parts[k], `profile part ${k}: ${Object.keys(parts)}`);
      assert.ok(parts.mlp.gflopPerS! > 0);
      assert.ok(c.ours.profile!.restReplay.layer_norm.ms >= 0);
      assert.equal(c.ours.profile!.restReplay.gelu_tanh, undefined, "the wasm backend fuses GELU into fc1");
    }

    assert.equal(report.ttft.length, 2);
    for (const t of report.ttft) {
      assert.ok(t.ours.ok, `ttft measurement failed: ${JSON.stringify(t.ours)}`);
      if (!t.ours.ok) continue;
      assert.equal(t.threads, 2);
      // 1344×896: overview 546×364 and 3×2 slices of 448×448, 64 rows each
      assert.deepEqual(t.ours.crops, [{ width: 546, height: 364 }, ...Array(6).fill({ width: 448, height: 448 })]);
      assert.equal(t.ours.imageRows, 7 * 64);
      assert.ok(t.ours.promptRows > t.ours.imageRows);
      assert.ok(t.ours.seconds > 0 && t.ours.prefillSeconds > 0 && t.ours.seconds >= t.ours.prefillSeconds);
      assert.ok(t.ours.towerSeconds > 0 && t.ours.towerSeconds <= t.ours.encodeSeconds + 1e-3);
      assert.equal(t.ratio, undefined);
    }

    // a second run reuses the files
    const again = runBench(["--small", "--json", "--generate-only", "--cache-dir", dir]);
    assert.equal(again.status, 0, again.stderr);
    assert.ok((JSON.parse(again.stdout) as { files: { reused: boolean }[] }).files.every((f) => f.reused));
    assert.deepEqual((await readdir(dir)).filter((f) => f.includes(".partial")), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("bench:vision: bad options are one-line errors", () => {
  const r = runBench(["--types", "q4_0"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown mmproj type "q4_0"/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test("bench:vision: llama-mtmd-cli's encoding times are parsed (batch and per-slice formats)", () => {
  assert.deepEqual(parseEncodeTimes([
    "0.00.213.821 I encoding mtmd batch, n_chunks = 1 (done = 1, total = 15)",
    "0.00.525.058 I mtmd batch encoding done in 311 ms",
    "0.01.221.872 I encoding mtmd batch, n_chunks = 2 (done = 3, total = 15)",
    "0.02.028.354 I mtmd batch encoding done in 800 ms",
  ]), [311, 400, 400]);
  assert.deepEqual(parseEncodeTimes(["encoding image slice...", "image slice encoded in 12001 ms", "image slice encoded in 11890 ms"]), [12001, 11890]);
});
