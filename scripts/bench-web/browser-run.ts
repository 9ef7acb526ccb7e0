/** One chat measured inside Chromium through the bundled engine (dist/web/pocketvlm.js), as a page would embed it. */
import type { Page } from "playwright-core";
import type { ChatStats, EngineInfo } from "../../src/browser/protocol.js";

export interface BrowserRun {
  readonly info: EngineInfo;
  readonly stats: ChatStats;
  readonly wallMs: number;
}

export async function browserRun(page: Page, args: { model: string; mmproj: string; imageBase64: string; question: string; maxTokens: number; threads?: number }): Promise<BrowserRun> {
  return page.evaluate(async (a) => {
    const bundle = "/pocketvlm.js"; // a variable, so TypeScript leaves the browser-side import alone
    const { PocketVlm } = (await import(bundle)) as typeof import("../../src/browser/index.js");
    const vlm = new PocketVlm();
    try {
      const t0 = performance.now();
      const info = await vlm.load({ model: a.model, mmproj: a.mmproj, threads: a.threads });
      const image = new Blob([Uint8Array.from(atob(a.imageBase64), (c) => c.charCodeAt(0))]);
      const run = vlm.chat([{ role: "user", content: [{ type: "image", image }, { type: "text", text: a.question }] }], {
        maxTokens: a.maxTokens, sampling: { temperature: 0 }, ignoreEos: true,
      });
      for await (const delta of run) void delta;
      return { info, stats: await run.stats, wallMs: performance.now() - t0 };
    } finally {
      vlm.terminate();
    }
  }, args);
}
