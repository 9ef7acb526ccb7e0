import type { PocketVlm } from "../../browser/client.js";
import type { EngineInfo, ModelRef, ProgressReply } from "../../browser/protocol.js";
import { DEFAULT_HUB_URL } from "../../hub/hub-endpoint.js";
import { hubGgufUrls } from "../../hub/hub-urls.js";
import { isHubModelRef, parseHubModelRef } from "../../hub/model-ref.js";
import { formatBytes } from "./dom.js";

/** Progress line and bar while a model pair downloads and loads. */
function progressText(p: ProgressReply): { text: string; fraction: number } {
  if (p.stage === "download") {
    const what = p.file === "mmproj" ? "vision projector" : "language model";
    return { text: `Fetching the ${what}: ${formatBytes(p.done)} of ${formatBytes(p.total)}`, fraction: p.total ? p.done / p.total : 0 };
  }
  const what = p.stage === "llm" ? "language model" : "vision tower";
  return { text: `Loading the ${what} weights: ${Math.round(p.done * 100)}%`, fraction: p.done };
}

/** Loads a pair into the engine, showing progress in `status` and `bar`. */
export async function loadModel(engine: PocketVlm, model: ModelRef, mmproj: ModelRef, status: HTMLElement, bar: HTMLProgressElement): Promise<EngineInfo> {
  bar.hidden = false;
  bar.value = 0;
  try {
    return await engine.load({
      model, mmproj,
      onProgress: (p) => {
        const { text, fraction } = progressText(p);
        status.textContent = text;
        bar.value = fraction;
      },
    });
  } finally {
    bar.hidden = true;
  }
}

/**
 * The pair chosen in the "Load another model" panel (a picked file wins over a URL). A model "URL" of
 * the form hf:owner/name[:QUANT] names a Hub GGUF repo: its LLM and projector URLs are looked up there.
 */
export async function chosenPair(modelFile: HTMLInputElement, modelUrl: HTMLInputElement, mmFile: HTMLInputElement, mmUrl: HTMLInputElement,
  hubUrl = DEFAULT_HUB_URL): Promise<{ model: ModelRef; mmproj: ModelRef } | string> {
  let model: ModelRef = modelFile.files?.[0] ?? modelUrl.value.trim();
  let mmproj: ModelRef = mmFile.files?.[0] ?? mmUrl.value.trim();
  if (typeof model === "string" && isHubModelRef(model)) {
    const urls = await hubGgufUrls(parseHubModelRef(model), { url: hubUrl });
    model = urls.model;
    mmproj ||= urls.mmproj ?? "";
  }
  if (!model || !mmproj) return "pick (or give the URL of) both the model and its vision projector";
  return { model, mmproj };
}
