/** Drives the demo page as a user would, and reads what it exposes (window.pocketvlmDemo). */
import { mkdirSync } from "node:fs";
import type { Page } from "playwright-core";
import type { ChatStats, EngineInfo } from "../../src/browser/protocol.js";

export interface DemoState {
  crossOriginIsolated: boolean;
  info?: EngineInfo;
  answer: string;
  stats?: ChatStats;
  error?: string;
}

export function demoState(page: Page): Promise<DemoState> {
  return page.evaluate(() => (window as unknown as { pocketvlmDemo: DemoState }).pocketvlmDemo);
}

/** Waits until the page's state is one of `states`; an "error" state fails with the page's message. */
export async function waitState(page: Page, states: string[], timeout = 120_000): Promise<DemoState> {
  await page.waitForFunction((s) => [...s, "error", "no-model"].includes(document.body.dataset.state ?? ""), states, { timeout });
  const state = await demoState(page);
  const now = await page.evaluate(() => document.body.dataset.state);
  if (!states.includes(now ?? "")) throw new Error(`demo page ended in state ${now}: ${state.error ?? "(no message)"}`);
  return state;
}

/** Picks the image, asks, waits for the whole answer. */
export async function ask(page: Page, image: string, question: string, maxTokens: number): Promise<DemoState> {
  await page.setInputFiles("#image-input", image);
  await page.fill("#question", question);
  await page.fill("#max-tokens", String(maxTokens));
  await page.click("#ask"); // the click handler sets the state to "generating" before it returns
  return waitState(page, ["done"]);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync("artifacts", { recursive: true });
  await page.screenshot({ path: `artifacts/${name}.png`, fullPage: true });
}
