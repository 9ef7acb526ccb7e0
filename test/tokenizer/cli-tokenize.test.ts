import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FIXTURES, readGolden } from "./helpers.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MODEL = fileURLToPath(new URL("minicpmv-2.5/llm-f16.gguf", FIXTURES));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "src/cli/run.ts", "tokenize", ...args], { cwd: ROOT }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

test("pocketvlm tokenize prints llama.cpp's ids as one JSON array (defaults: add BOS, parse special)", async () => {
  const text = "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>";
  const cases = readGolden("minicpmv-2.5").tokenization.cases.filter((c: any) => c.text === text);
  const expect = (add: boolean, parse: boolean) => cases.find((c: any) => c.add_special === add && c.parse_special === parse).ids;

  const both = await run(["--model", MODEL, "--text", text]);
  assert.equal(both.code, 0, both.stderr);
  assert.equal(both.stdout, `${JSON.stringify(expect(true, true))}\n`);
  const neither = await run(["--model", MODEL, "--text", text, "--no-bos", "--no-special"]);
  assert.deepEqual(JSON.parse(neither.stdout), expect(false, false));
});

test("pocketvlm tokenize: missing, corrupt, compressed or tokenizer-less files exit 1 with one line", async () => {
  const dir = await mkdtemp(join(tmpdir(), "pocketvlm-tokenize-"));
  try {
    const truncated = join(dir, "truncated.gguf");
    await writeFile(truncated, (await readFile(MODEL)).subarray(0, 4096));
    const notGguf = join(dir, "text.gguf");
    await writeFile(notGguf, "this is not a model file at all, just text\n");
    const mmproj = fileURLToPath(new URL("minicpmv-4.5/mmproj-f16.gguf", FIXTURES));
    const cases: [string, RegExp][] = [
      [join(dir, "missing.gguf"), /missing\.gguf: no such file/],
      [truncated, /truncated\.gguf: truncated or corrupt GGUF/],
      [notGguf, /text\.gguf: not a GGUF file/],
      [fileURLToPath(new URL("vocab-qwen3/vocab-qwen3.gguf.gz", FIXTURES)), /gunzip it first/],
      [mmproj, /tokenizer\.ggml\.model" is missing/],
    ];
    for (const [model, message] of cases) {
      const r = await run(["--model", model, "--text", "hi"]);
      assert.equal(r.code, 1, `${model}: ${r.stderr}`);
      assert.equal(r.stdout, "");
      const lines = r.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], /^pocketvlm: /);
      assert.match(lines[0], message);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
