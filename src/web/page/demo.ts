import { PocketVlm } from "../../browser/client.js";
import type { ChatStats, EngineInfo, ModelRef, PagePart } from "../../browser/protocol.js";
import type { WebConfig } from "../config.js";
import { showCrops } from "./crops-view.js";
import { byId } from "./dom.js";
import { imagePicker } from "./image-picker.js";
import { chosenPair, loadModel } from "./model-loader.js";
import { describeEngine, describeStats, liveRate } from "./stats-view.js";

/** What the page exposes for scripts and tests (window.pocketvlmDemo). */
interface DemoState {
  crossOriginIsolated: boolean;
  info?: EngineInfo;
  answer: string;
  stats?: ChatStats;
  error?: string;
}

const $ = {
  status: byId("model-status", HTMLDivElement), progress: byId("progress", HTMLProgressElement),
  modelFile: byId("model-file", HTMLInputElement), modelUrl: byId("model-url", HTMLInputElement),
  mmFile: byId("mmproj-file", HTMLInputElement), mmUrl: byId("mmproj-url", HTMLInputElement), load: byId("load", HTMLButtonElement),
  drop: byId("drop", HTMLLabelElement), imageInput: byId("image-input", HTMLInputElement), preview: byId("preview", HTMLImageElement),
  question: byId("question", HTMLTextAreaElement), maxTokens: byId("max-tokens", HTMLInputElement),
  ask: byId("ask", HTMLButtonElement), stop: byId("stop", HTMLButtonElement),
  answer: byId("answer", HTMLDivElement), stats: byId("stats", HTMLDivElement), crops: byId("crops", HTMLDivElement),
};

const state: DemoState = { crossOriginIsolated: self.crossOriginIsolated, answer: "" };
(window as unknown as { pocketvlmDemo: DemoState }).pocketvlmDemo = state;
const engine = new PocketVlm();
let image: File | undefined;
/** The Hub that hf: model names refer to (the server's HF_ENDPOINT, else the Hub itself). */
let hubUrl: string | undefined;

function setState(s: "loading" | "ready" | "generating" | "done" | "error" | "no-model"): void {
  document.body.dataset.state = s;
  $.ask.disabled = s === "loading" || s === "generating" || s === "no-model";
  $.load.disabled = s === "loading" || s === "generating";
  $.stop.disabled = s !== "generating";
}

function fail(where: HTMLElement, e: unknown): void {
  state.error = e instanceof Error ? e.message : String(e);
  where.textContent = state.error;
  where.classList.add("error");
  setState(state.info ? "error" : "no-model");
}

async function load(model: ModelRef, mmproj: ModelRef): Promise<void> {
  setState("loading");
  $.status.classList.remove("error");
  try {
    state.info = await loadModel(engine, model, mmproj, $.status, $.progress);
    $.status.textContent = describeEngine(state.info);
    setState("ready");
  } catch (e) {
    state.info = undefined;
    fail($.status, e);
  }
}

async function ask(): Promise<void> {
  const content: PagePart[] = image ? [{ type: "image", image }, { type: "text", text: $.question.value }] : [{ type: "text", text: $.question.value }];
  const maxTokens = Math.max(1, Math.floor(Number($.maxTokens.value) || 128));
  state.answer = "";
  state.stats = undefined;
  state.error = undefined;
  $.answer.textContent = "";
  $.answer.classList.remove("error");
  $.stats.textContent = "Reading the image and the question…";
  setState("generating");
  const run = engine.chat([{ role: "user", content }], { maxTokens, sampling: { temperature: 0 } });
  $.stop.onclick = () => run.abort();
  void run.crops.then((c) => showCrops($.crops, c), () => undefined);
  let tokens = 0;
  let first = 0;
  try {
    for await (const delta of run) {
      if (tokens++ === 0) first = performance.now();
      state.answer += delta;
      $.answer.textContent = state.answer;
      $.stats.textContent = liveRate(tokens, performance.now() - first);
    }
    state.stats = await run.stats;
    $.stats.textContent = describeStats(state.stats);
    setState("done");
  } catch (e) {
    fail($.answer, e);
  }
}

imagePicker($.drop, $.imageInput, $.preview, (f) => (image = f));
$.ask.addEventListener("click", () => void ask());
$.question.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !$.ask.disabled) {
    e.preventDefault();
    void ask();
  }
});
$.load.addEventListener("click", () => {
  // "loading" before it returns: an hf: name is looked up on the Hub first, and the page must not
  // read as ready with the old model meanwhile
  setState("loading");
  chosenPair($.modelFile, $.modelUrl, $.mmFile, $.mmUrl, hubUrl).then((pair) => {
    if (typeof pair === "string") fail($.status, new Error(pair));
    else void load(pair.model, pair.mmproj);
  }, (e: unknown) => fail($.status, e));
});

async function start(): Promise<void> {
  setState("loading");
  const cfg = (await (await fetch("config.json")).json()) as WebConfig;
  hubUrl = cfg.hubUrl;
  if (cfg.model) await load(cfg.model.llm.url, cfg.model.mmproj.url);
  else {
    $.status.textContent = cfg.note ?? "No model on the server: load one below.";
    ($.load.closest("details") as HTMLDetailsElement).open = true;
    setState("no-model");
  }
}

start().catch((e: unknown) => fail($.status, e));
