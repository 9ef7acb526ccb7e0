import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { launchChromium, type Browser } from "./browser.js";
import { ask, screenshot, waitState } from "./demo-page.js";
import { fixtureCase, nodeAnswer, testCase, type NodeAnswer } from "./model-pair.js";
import { startWeb, type WebProcess } from "./web-process.js";
import { startFakeHub, type FakeHub } from "../hub/fake-hub.js";

// End to end: `pocketvlm web` + Debian's Chromium. The page must answer exactly as the Node engine
// does (same model, image, question, greedy), with kernels on Web Workers when the page is
// cross-origin isolated and on one thread when it is not.
const tc = testCase();
let expected: NodeAnswer;

before(async () => {
  execFileSync(process.execPath, ["scripts/build-web.mjs"], { stdio: "ignore" });
  expected = await nodeAnswer(tc);
});

function modelRequests(web: WebProcess): string[] {
  return web.requests.filter((r) => r.startsWith("GET /models/"));
}

describe("pocketvlm web, cross-origin isolated", () => {
  let web: WebProcess;
  let browser: Browser;
  before(async () => {
    web = await startWeb({ model: tc.model, mmproj: tc.mmproj, isolation: true });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await web?.stop();
  });

  test("threads on Web Workers; the streamed answer equals the Node engine's; crops shown", { timeout: 300_000 }, async (t) => {
    t.diagnostic(`model ${tc.model}${tc.builtin ? " (built-in)" : " (fixture)"}; Node: ${expected.tokens.length} tokens at ${expected.tokensPerSecond.toFixed(1)} tok/s`);
    const page = await browser.context.newPage();
    await page.goto(web.url);
    const loaded = await waitState(page, ["ready"]);
    assert.equal(loaded.crossOriginIsolated, true);
    assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
    const info = loaded.info!;
    assert.equal(info.backend, "wasm");
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    assert.equal(info.threads, cores, "one thread per core: the engine worker plus kernel workers");
    assert.deepEqual(info.origins, { model: "network", mmproj: "network" });

    const done = await ask(page, tc.image, tc.question, tc.maxTokens);
    assert.deepEqual(done.stats!.tokens, expected.tokens);
    assert.equal(done.answer, expected.text, "streamed deltas");
    assert.equal(done.stats!.text, expected.text);
    assert.equal(await page.textContent("#answer"), expected.text);
    assert.equal(await page.locator("#crops canvas").count(), expected.crops);
    assert.match((await page.textContent("#stats"))!, /tokens\/s/);
    await screenshot(page, "web-isolated");
    t.diagnostic(`browser (isolated, ${info.threads} threads): ${done.stats!.tokensPerSecond.toFixed(1)} tok/s`);
    await page.close();
  });

  test("a second visit loads the model from the browser's storage, not the network", { timeout: 300_000 }, async () => {
    const before = modelRequests(web).length;
    assert.ok(before >= 2, "the first visit downloaded both files");
    const page = await browser.context.newPage();
    await page.goto(web.url);
    const loaded = await waitState(page, ["ready"]);
    assert.deepEqual(loaded.info!.origins, { model: "cache", mmproj: "cache" });
    assert.deepEqual(modelRequests(web).slice(before), [], "no model bytes fetched again");
    const done = await ask(page, tc.image, tc.question, tc.maxTokens);
    assert.deepEqual(done.stats!.tokens, expected.tokens);
    await page.close();
  });
});

describe("pocketvlm web --no-isolation", () => {
  let web: WebProcess;
  let browser: Browser;
  before(async () => {
    web = await startWeb({ model: tc.model, mmproj: tc.mmproj, isolation: false });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await web?.stop();
  });

  test("single thread; the same answer as the Node engine", { timeout: 300_000 }, async (t) => {
    const page = await browser.context.newPage();
    await page.goto(web.url);
    const loaded = await waitState(page, ["ready"]);
    assert.equal(await page.evaluate(() => self.crossOriginIsolated), false);
    assert.equal(loaded.crossOriginIsolated, false);
    assert.equal(loaded.info!.backend, "wasm");
    assert.equal(loaded.info!.threads, 1);
    const done = await ask(page, tc.image, tc.question, tc.maxTokens);
    assert.deepEqual(done.stats!.tokens, expected.tokens);
    assert.equal(done.answer, expected.text);
    assert.equal(await page.textContent("#answer"), expected.text);
    await screenshot(page, "web-single-thread");
    t.diagnostic(`browser (not isolated, 1 thread): ${done.stats!.tokensPerSecond.toFixed(1)} tok/s`);
    await page.close();
  });

  test("model files the user picks are read in place and give the same answer", { timeout: 300_000 }, async () => {
    const page = await browser.context.newPage();
    await page.goto(web.url);
    await waitState(page, ["ready"]);
    await page.click("#other-model summary");
    await page.setInputFiles("#model-file", tc.model);
    await page.setInputFiles("#mmproj-file", tc.mmproj);
    const fetched = modelRequests(web).length;
    await page.click("#load");
    const loaded = await waitState(page, ["ready"]);
    assert.deepEqual(loaded.info!.origins, { model: "file", mmproj: "file" });
    assert.equal(modelRequests(web).length, fetched);
    const done = await ask(page, tc.image, tc.question, tc.maxTokens);
    assert.deepEqual(done.stats!.tokens, expected.tokens);
    await page.close();
  });
});

// Stop needs an answer that does not end by itself: the random-weight fixture pair never emits its end token.
describe("pocketvlm web, stopping a long answer", () => {
  const long = fixtureCase();
  let web: WebProcess;
  let browser: Browser;
  before(async () => {
    web = await startWeb({ model: long.model, mmproj: long.mmproj, isolation: false });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await web?.stop();
  });

  test("Stop ends a long answer early; the page's main thread stays responsive while the worker computes", { timeout: 300_000 }, async () => {
    const page = await browser.context.newPage();
    await page.goto(web.url);
    await waitState(page, ["ready"]);
    await page.setInputFiles("#image-input", long.image);
    await page.fill("#max-tokens", "3000");
    await page.click("#ask");
    await page.waitForFunction(() => (window as unknown as { pocketvlmDemo: { answer: string } }).pocketvlmDemo.answer.length > 0, null, { timeout: 120_000 });
    // the longest pause of a 10 ms timer on the main thread over 300 ms of generation
    const maxGap = await page.evaluate(() => new Promise<number>((resolve) => {
      let last = performance.now();
      let gap = 0;
      const t = setInterval(() => {
        const now = performance.now();
        gap = Math.max(gap, now - last);
        last = now;
      }, 10);
      setTimeout(() => { clearInterval(t); resolve(gap); }, 300);
    }));
    assert.ok(maxGap < 100, `main thread blocked for ${maxGap.toFixed(0)} ms`);
    assert.equal(await page.evaluate(() => document.body.dataset.state), "generating");
    await page.click("#stop");
    const done = await waitState(page, ["done"]);
    assert.equal(done.stats!.finishReason, "aborted");
    assert.ok(done.stats!.tokens.length < 3000);
    await page.close();
  });

});

// hf:owner/name typed into the page: the Hub (here a loopback stand-in, the server's HF_ENDPOINT) is asked
// for the pair, which the page then downloads from it like any URL.
describe("pocketvlm web: a Hub model named in the page", () => {
  let web: WebProcess;
  let browser: Browser;
  let hub: FakeHub;
  before(async () => {
    hub = await startFakeHub([{
      repo: "pocketvlm/test-gguf", commit: "0123456789abcdef0123456789abcdef01234567", files: [
        { path: "model-F16.gguf", bytes: new Uint8Array(readFileSync(tc.model)), lfs: true },
        { path: "mmproj-model-f16.gguf", bytes: new Uint8Array(readFileSync(tc.mmproj)), lfs: true },
      ],
    }]);
    web = await startWeb({ model: tc.model, mmproj: tc.mmproj, isolation: false, env: { HF_ENDPOINT: hub.url } });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await web?.stop();
    await hub?.close();
  });

  test("hf:owner/name in the model URL field loads that repo's pair and answers as the Node engine", { timeout: 300_000 }, async () => {
    const page = await browser.context.newPage();
    await page.goto(web.url);
    await waitState(page, ["ready"]);
    await page.click("#other-model summary");
    await page.fill("#model-url", "hf:pocketvlm/test-gguf");
    await page.click("#load");
    const loaded = await waitState(page, ["ready"]);
    assert.deepEqual(loaded.info!.origins, { model: "network", mmproj: "network" });
    assert.ok(hub.log.includes("GET /api/models/pocketvlm/test-gguf/revision/main"));
    assert.ok(hub.log.some((l) => l.startsWith("GET /pocketvlm/test-gguf/resolve/0123456789abcdef0123456789abcdef01234567/model-F16.gguf")));
    const done = await ask(page, tc.image, tc.question, tc.maxTokens);
    assert.deepEqual(done.stats!.tokens, expected.tokens);
    await page.close();
  });
});
