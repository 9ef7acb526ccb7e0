import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import OpenAI from "openai";
import { FIXTURE } from "./helpers.js";
import { LONG } from "./long-request.js";

// `pocketvlm serve` as a process: JSON-lines logs with load progress, then SIGTERM → graceful exit 0.
test("pocketvlm serve: load-progress log lines, serves, SIGTERM ends a running stream cleanly and exits 0", async () => {
  const child = spawn(process.execPath, [
    "--import", "tsx", "src/cli/run.ts", "serve",
    "--model", `${FIXTURE}/llm-f16.gguf`, "--mmproj", `${FIXTURE}/mmproj-f16.gguf`,
    "--port", "0", "--backend", "js", "--grace-ms", "300",
  ], { stdio: ["ignore", "pipe", "pipe"] });
  const logs: Record<string, unknown>[] = [];
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += String(d); });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.on("line", (line) => {
      const rec = JSON.parse(line) as Record<string, unknown>;
      logs.push(rec);
      if (rec.msg === "listening") resolve(rec.url as string);
    });
    void exited.then((code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  try {
    const progress = logs.filter((l) => l.msg === "loading model" && typeof l.percent === "number");
    assert.ok(progress.length >= 2, "load-progress lines");
    assert.ok(progress.some((l) => l.stage === "llm" && l.percent === 100));
    assert.ok(logs.some((l) => l.msg === "model loaded" && l.context === 4096));
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "x", maxRetries: 0 });
    const s = await client.chat.completions.create({ ...LONG, stream: true });
    const it = s[Symbol.asyncIterator]();
    await it.next();
    child.kill("SIGTERM");
    let finish: string | null = null;
    for (;;) {
      const c = await it.next();
      if (c.done) break;
      finish = c.value.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(finish, "length");
    assert.equal(await exited, 0);
    assert.ok(logs.some((l) => l.msg === "shutting down" && l.signal === "SIGTERM"));
    assert.ok(logs.some((l) => l.msg === "stopped"));
  } finally {
    child.kill("SIGKILL");
  }
});
