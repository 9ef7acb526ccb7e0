import type { PocketVlm } from "../../browser/client.js";
import type { EngineInfo, ModelRef, ProgressReply } from "../../browser/protocol.js";
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

/** The pair chosen in the "Load another model" panel (a picked file wins over a URL). */
export function chosenPair(modelFile: HTMLInputElement, modelUrl: HTMLInputElement, mmFile: HTMLInputElement, mmUrl: HTMLInputElement): { model: ModelRef; mmproj: ModelRef } | string {
  const model = modelFile.files?.[0] ?? modelUrl.value.trim();
  const mmproj = mmFile.files?.[0] ?? mmUrl.value.trim();
  if (!model || !mmproj) return "pick (or give the URL of) both the model and its vision projector";
  return { model, mmproj };
}
