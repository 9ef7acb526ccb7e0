import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchChromium, type Browser } from "./browser.js";
import { waitState } from "./demo-page.js";
import { testCase } from "./model-pair.js";
import { startWeb, type WebProcess } from "./web-process.js";

// The browser's model cache follows the server's file: kept while the ETag stays, fetched again
// when the file changes.
const tc = testCase();
const dir = mkdtempSync(join(tmpdir(), "pocketvlm-cache-"));
const model = join(dir, "llm.gguf");
const mmproj = join(dir, "mmproj.gguf");
let web: WebProcess;
let browser: Browser;

before(async () => {
  execFileSync(process.execPath, ["scripts/build-web.mjs"], { stdio: "ignore" });
  copyFileSync(tc.model, model);
  copyFileSync(tc.mmproj, mmproj);
  web = await startWeb({ model, mmproj, isolation: true });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await web?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function visit(): Promise<Record<string, string>> {
  const page = await browser.context.newPage();
  await page.goto(web.url);
  const state = await waitState(page, ["ready"]);
  await page.close();
  return { ...state.info!.origins };
}

test("cached while unchanged; a changed model file is downloaded again, the other stays cached", { timeout: 300_000 }, async () => {
  assert.deepEqual(await visit(), { model: "network", mmproj: "network" });
  assert.deepEqual(await visit(), { model: "cache", mmproj: "cache" });
  const later = new Date(Date.now() + 60_000);
  utimesSync(model, later, later); // a new ETag, as when the file is replaced
  assert.deepEqual(await visit(), { model: "network", mmproj: "cache" });
  assert.deepEqual(await visit(), { model: "cache", mmproj: "cache" });
});
