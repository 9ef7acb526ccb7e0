import type { Backend } from "../compute/backend.js";
import { chatTemplateOf } from "../formats/chat-template/index.js";
import { readGGUF } from "../formats/gguf/reader.js";
import { Tokenizer } from "../formats/tokenizer/index.js";
import type { ByteSource } from "../io/byte-source.js";
import { loadLanguageModel } from "../models/llm/load.js";
import { modelSourceFromGGUF } from "../models/model-source.js";
import { loadMmproj, loadVisionModel } from "../models/vision/index.js";
import { MiniCPMV } from "../multimodal/vlm.js";
import { createBrowserBackend, type BrowserBackendOptions } from "./backend.js";
import { browserImageResolver } from "./image-decode.js";

export interface BrowserVlmOptions extends BrowserBackendOptions {
  /** The LLM GGUF and its vision projector (mmproj) GGUF. */
  readonly model: ByteSource;
  readonly mmproj: ByteSource;
  /** A backend to use instead of creating one (it is then not disposed with the model). */
  readonly backend?: Backend;
  readonly onProgress?: (stage: "llm" | "vision", fraction: number) => void;
}

export interface BrowserVlm extends MiniCPMV {
  readonly backend: Backend;
}

/** Opens a MiniCPM-V GGUF pair from two ByteSources, as src/node/open-vlm.ts does from two paths. */
export async function openBrowserVlm(opts: BrowserVlmOptions): Promise<BrowserVlm> {
  const llmSrc = modelSourceFromGGUF(await readGGUF(opts.model));
  const mm = loadMmproj(await readGGUF(opts.mmproj));
  const tokenizer = Tokenizer.fromMetadata(llmSrc.meta);
  const template = chatTemplateOf(llmSrc.meta).template;
  const backend = opts.backend ?? (await createBrowserBackend(opts));
  const owned = opts.backend === undefined;
  try {
    const llm = await loadLanguageModel(llmSrc, backend, { onProgress: (f) => opts.onProgress?.("llm", f) });
    opts.onProgress?.("vision", 0);
    const vision = await loadVisionModel(mm.source, mm.config, backend);
    opts.onProgress?.("vision", 1);
    const vlm = new MiniCPMV({ llm, vision, tokenizer, chatTemplate: template, name: opts.model.name, resolveImage: browserImageResolver() });
    const dispose = async () => {
      await llm.dispose();
      if (owned) await backend.dispose();
      await opts.model.close?.();
      await opts.mmproj.close?.();
    };
    return Object.assign(vlm, { backend, dispose });
  } catch (e) {
    if (owned) await backend.dispose();
    throw e;
  }
}
