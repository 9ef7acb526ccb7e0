/**
 * Smoke test of `npm run bench`: the whole pipeline (model writing, child-process measurement, JSON
 * report) on a toy model of the benchmark's architecture, with the JS backend. Timings are not checked.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readGGUF } from "../../src/formats/gguf/reader.js";
import { fileSource } from "../../src/node/file-source.js";
import type { BenchReport } from "../../bench/report.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

function runBench(cacheDir: string, extra: string[] = []): { report: BenchReport; stderr: string } {
  const env = { ...process.env };
  delete env.LLAMA_BENCH;
  const r = spawnSync(process.execPath, [
    "--import", "tsx", join(ROOT, "bench", "llm.ts"),
    "--tiny", "--json", "--backend", "js", "--types", "q4_0,q4_k", "--threads", "1,2", "--reps", "2",
    "--prompt", "24", "--gen", "4", "--profile-steps", "2", "--cache-dir", cacheDir, ...extra,
  ], { cwd: ROOT, env, encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, `bench exited with ${r.status}: ${r.stderr}`);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 1, `--json prints exactly one line on stdout, got:\n${r.stdout}`);
  return { report: JSON.parse(lines[0]) as BenchReport, stderr: r.stderr };
}

test("bench --tiny --json: one JSON object with per-(type, threads) results; models cached", { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "pocketvlm-bench-"));
  try {
    const { report, stderr } = runBench(dir);
    assert.match(stderr, /measuring Q4_0 with 1 thread/);
    assert.equal(report.benchmark, "pocketvlm llm");
    assert.deepEqual(report.settings.types, ["q4_0", "q4_k"]);
    assert.deepEqual(report.settings.threads, [1, 2]);
    assert.equal(report.settings.dims.n_layer, 2);
    assert.deepEqual(report.targets, { decodeRatio: 0.8, prefillRatio: 0.5, rssRatio: 1.15 });
    assert.equal(report.peer, undefined);

    assert.equal(report.models.length, 2);
    for (const m of report.models) {
      assert.equal(m.reused, false);
      assert.ok(m.fileBytes > 0 && m.bytesPerToken > 0 && m.kvCacheBytes > 0 && m.parameters > 0);
      // the file is a minicpm GGUF with a tokenizer, in the asked type
      const src = await fileSource(m.path);
      try {
        const g = await readGGUF(src);
        assert.equal(g.metadata.get("general.architecture")?.value, "minicpm");
        assert.equal(g.metadata.get("tokenizer.ggml.model")?.value, "gpt2");
        assert.equal(g.tensor("blk.0.ffn_down.weight")?.type, m.type === "q4_0" ? 2 : 12);
        assert.equal(g.tensor("output_norm.weight")?.type, 0);
      } finally {
        await src.close?.();
      }
    }

    assert.equal(report.results.length, 4);
    for (const row of report.results) {
      assert.ok(row.ours.ok, `measurement failed: ${JSON.stringify(row.ours)}`);
      if (!row.ours.ok) continue;
      assert.equal(row.ours.backend, "js");
      assert.equal(row.ours.prefillSeconds.length, 2);
      assert.equal(row.ours.decodeSeconds.length, 2);
      assert.ok(row.ours.prefillTokPerS > 0 && row.ours.decodeTokPerS > 0 && row.ours.loadSeconds >= 0);
      assert.ok(row.ours.maxRssBytes > row.ours.rssAfterLoadBytes / 2);
      assert.ok(row.ratios.rss !== undefined && row.ratios.rss > 0);
      assert.equal(row.ratios.decode, undefined, "no peer, no ratio");
      for (const prof of [row.ours.decodeProfile, row.ours.prefillProfile]) {
        const parts = prof?.parts ?? {};
        assert.ok(parts["matmul.ffn"] && parts["matmul.lm_head"] && parts["attention"], `profile parts: ${Object.keys(parts)}`);
        assert.ok(parts["matmul.ffn"].gbPerS! > 0 && parts["matmul.ffn"].gflopPerS! > 0);
      }
      assert.equal(row.ours.prefillProfile?.tokens, 24);
    }

    // a second run reuses the cached files
    const again = runBench(dir, ["--generate-only"]);
    assert.ok((again.report as unknown as { models: { reused: boolean }[] }).models.every((m) => m.reused));
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith(".partial")), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("bench: bad options are one-line errors", () => {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "bench", "llm.ts"), "--types", "q5_0"], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown type "q5_0"/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
