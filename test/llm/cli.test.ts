/** `pocketvlm logits` end to end (spawned), against the 4.5 golden, and its handling of bad input. */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fixtureDir, golden, maxAbsDiff, readBin } from "./fixtures.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const tmp = mkdtempSync(join(tmpdir(), "pocketvlm-logits-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const model = join(fixtureDir("4.5"), "llm-f16.gguf");

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/run.ts", "logits", ...args], { cwd: ROOT, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("logits of every position match the f32 golden; one JSON line on stdout", () => {
  const g = golden("4.5");
  const out = join(tmp, "logits.bin");
  const r = cli("--model", model, "--tokens", g.text_logits.tokens.join(","), "--out", out, "--backend", "js");
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 1);
  const summary = JSON.parse(lines[0]);
  assert.deepEqual(summary.shape, [24, 361]);
  assert.equal(summary.arch, "qwen3");
  assert.equal(summary.backend, "js");
  const b = readFileSync(out);
  const got = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  const ref = g.text_logits.items.find((i) => i.name === "f32")!.logits;
  const d = maxAbsDiff(got, readBin("4.5", ref));
  assert.ok(d <= 1e-4, `max abs diff ${d}`);
  const want = readBin("4.5", ref);
  assert.equal(summary.argmax_last, want.subarray(23 * 361).indexOf(Math.max(...want.subarray(23 * 361))));
});

function failsCleanly(args: string[], out: string, message: RegExp): void {
  const r = cli(...args, "--out", out);
  assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0], message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  assert.equal(r.stdout, "");
  assert.ok(!existsSync(out), "no output file");
}

test("bad input: missing file, corrupt GGUF, unknown arch, token id out of range → exit 1, one line, no file", () => {
  const out = join(tmp, "never.bin");
  failsCleanly(["--model", join(tmp, "missing.gguf"), "--tokens", "1,2"], out, /^pocketvlm: .*missing\.gguf: no such file$/);

  const bytes = readFileSync(model);
  const truncated = join(tmp, "truncated.gguf");
  writeFileSync(truncated, bytes.subarray(0, 100_000));
  failsCleanly(["--model", truncated, "--tokens", "1,2"], out, /truncated\.gguf: .*(truncated|past the end)/);
  const notGguf = join(tmp, "not.gguf");
  writeFileSync(notGguf, "this is not a model file, just some text that is long enough");
  failsCleanly(["--model", notGguf, "--tokens", "1"], out, /not\.gguf: not a GGUF file/);

  // general.architecture "qwen3" -> "qwenx" (same length, so the file stays well-formed)
  const at = bytes.indexOf(Buffer.from("general.architecture"));
  const value = bytes.indexOf(Buffer.from("qwen3"), at);
  assert.ok(at > 0 && value > at && value - at < 40);
  const patched = Buffer.from(bytes);
  patched.write("qwenx", value, "latin1");
  const unknown = join(tmp, "unknown-arch.gguf");
  writeFileSync(unknown, patched);
  failsCleanly(["--model", unknown, "--tokens", "1"], out, /unknown-arch\.gguf: language model architecture "qwenx" is not supported/);

  failsCleanly(["--model", model, "--tokens", "1,2,361"], out, /token id 361 .*out of range/);
  failsCleanly(["--model", model, "--tokens", "1,x"], out, /--tokens: "x"/);
});

test("an output that cannot be written fails cleanly and leaves no temporary file", () => {
  const dir = join(tmp, "out-is-a-directory");
  mkdirSync(dir);
  const r = cli("--model", model, "--tokens", "1,2", "--out", dir);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr.trim(), /^pocketvlm: .*out-is-a-directory: cannot write \(E[A-Z]+\)$/);
  assert.deepEqual(readdirSync(tmp).filter((f) => f.endsWith(".tmp")), []);
});
