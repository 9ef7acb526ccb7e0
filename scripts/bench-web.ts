/**
 * Browser vs Node on the same model: one greedy chat (image + question, `--tokens` generated past
 * any end token) in Node, then in Debian's Chromium through the bundled engine with the same thread
 * count — cross-origin isolated (kernels on Web Workers, all cores) and not (one thread) — on a first
 * visit (the model is downloaded into the origin's storage) and a second (read from there).
 * Prints load time, prompt rows, prefill time and decode tokens/s, with browser/Node ratios, and
 * flags a browser answer whose tokens differ from Node's.
 *
 *   node --import tsx scripts/bench-web.ts [--model LLM.gguf --mmproj MMPROJ.gguf] [--tokens 32]
 *     [--image PNG] [--synthetic small|q4_0|q4_k|q8_0]
 *
 * Default model: the built-in one if present, else the fixture pair. --synthetic pairs a
 * MiniCPM-V-4.0-sized random LLM of `npm run bench` (.cache/bench) with a widened fixture projector.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { launchChromium } from "../test/web/browser.js";
import { createWebServer } from "../src/web/server/web-server.js";
import { browserRun, type BrowserRun } from "./bench-web/browser-run.js";
import { nodeRun } from "./bench-web/node-run.js";
import { widenMmproj } from "./bench-web/widen-mmproj.js";

const FIXTURE = "test/fixtures/llamacpp/minicpmv-4.5";
const { values: o } = parseArgs({
  options: {
    model: { type: "string" }, mmproj: { type: "string" }, tokens: { type: "string", default: "32" },
    image: { type: "string", default: `${FIXTURE}/images/img_300x200.png` }, synthetic: { type: "string" },
    question: { type: "string", default: "What is in the image?" },
  },
});

async function modelPair(): Promise<{ model: string; mmproj: string }> {
  if (o.model && o.mmproj) return { model: o.model, mmproj: o.mmproj };
  if (o.synthetic) {
    const model = `.cache/bench/minicpmv4.0-${o.synthetic === "small" ? "small-random-q4_0" : `random-${o.synthetic}`}.gguf`;
    if (!existsSync(model)) throw new Error(`${model} is missing: run npm run bench first (it writes the synthetic models)`);
    return { model, mmproj: await widenMmproj(2560, ".cache/bench/mmproj-synthetic-2560.gguf") };
  }
  if (existsSync("models/shapesworld/shapesworld-llm.gguf")) return { model: "models/shapesworld/shapesworld-llm.gguf", mmproj: "models/shapesworld/shapesworld-mmproj.gguf" };
  return { model: `${FIXTURE}/llm-f16.gguf`, mmproj: `${FIXTURE}/mmproj-f16.gguf` };
}

const pair = await modelPair();
const maxTokens = Number(o.tokens);
const question = o.question!;
execFileSync(process.execPath, ["scripts/build-web.mjs"], { stdio: "ignore" });
// the built page plus an empty document to run in (the demo page would load its model itself)
const root = mkdtempSync(join(tmpdir(), "pocketvlm-bench-web-"));
cpSync("dist/web", root, { recursive: true });
writeFileSync(join(root, "bench.html"), "<!doctype html><title>bench</title>");

const rows: string[][] = [["run", "threads", "load s", "prompt rows", "prefill s", "decode tok/s", "browser/Node"]];
const fmt = (x: number, d = 2) => x.toFixed(d);
const browser = await launchChromium();
try {
  for (const isolation of [true, false]) {
    const server = createWebServer({ root, model: { llm: pair.model, mmproj: pair.mmproj }, isolation });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cfg = (await (await fetch(`${base}/config.json`)).json()) as { model: { llm: { url: string }; mmproj: { url: string } } };
    const args = { model: cfg.model.llm.url, mmproj: cfg.model.mmproj.url, imageBase64: readFileSync(o.image!).toString("base64"), question, maxTokens };
    const threads = isolation ? undefined : 1;
    const n = await nodeRun({ ...pair, image: o.image!, question, maxTokens, threads });
    const nodeTps = n.result.tokens.length / (n.result.decodeMs / 1000);
    rows.push(["node", String(n.threads), fmt(n.loadMs / 1000), String(n.result.promptRows), fmt(n.result.prefillMs / 1000), fmt(nodeTps), ""]);
    // a first visit (downloads into the origin's storage), then a second one (reads it from there)
    for (let visit = 0; visit < 2; visit++) {
      const page = await browser.context.newPage();
      await page.goto(`${base}/bench.html`);
      const b: BrowserRun = await browserRun(page, { ...args, threads: isolation ? n.threads : undefined });
      await page.close();
      const same = JSON.stringify(n.result.tokens) === JSON.stringify(b.stats.tokens);
      rows.push([`browser, ${isolation ? "isolated" : "not isolated"}, ${b.info.origins.model}${same ? "" : " (TOKENS DIFFER)"}`, String(b.info.threads), fmt(b.info.loadMs / 1000), String(b.stats.promptRows), fmt(b.stats.prefillMs / 1000), fmt(b.stats.tokensPerSecond), fmt(b.stats.tokensPerSecond / nodeTps)]);
    }
    server.close();
  }
} finally {
  await browser.close();
  rmSync(root, { recursive: true, force: true });
}
console.log(`model ${pair.model} + ${pair.mmproj}; ${maxTokens} tokens, greedy; image ${o.image}`);
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join("  "));
