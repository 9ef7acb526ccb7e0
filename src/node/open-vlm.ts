import { UserError } from "../errors.js";
import type { Backend } from "../compute/backend.js";
import { chatTemplateOf } from "../formats/chat-template/index.js";
import { readGGUF } from "../formats/gguf/reader.js";
import { Tokenizer } from "../formats/tokenizer/index.js";
import { loadLanguageModel } from "../models/llm/load.js";
import { modelSourceFromGGUF } from "../models/model-source.js";
import { loadMmproj, loadVisionModel } from "../models/vision/index.js";
import { MiniCPMV } from "../multimodal/vlm.js";
import type { ByteSource } from "../io/byte-source.js";
import { fileSource } from "./file-source.js";
import { createBackend, type BackendOptions } from "./load-llm.js";
import { nodeImageResolver, type ResolverOptions } from "./image-resolver.js";
import { defaultModelPaths } from "./default-model.js";

export interface OpenVlmOptions extends BackendOptions {
  /** LLM GGUF; default: the built-in ShapesWorld model. */
  readonly model?: string;
  /** Vision projector (mmproj) GGUF; default: the built-in model's, or the one beside `model`. */
  readonly mmproj?: string;
  /** Called with a stage name and the fraction done while weights load. */
  readonly onProgress?: (stage: "llm" | "vision", fraction: number) => void;
  readonly images?: ResolverOptions;
}

export interface OpenedVlm extends MiniCPMV {
  readonly backend: Backend;
  readonly paths: { readonly model: string; readonly mmproj: string };
}

/** Opens a MiniCPM-V GGUF pair (LLM + mmproj) on one backend shared by both halves. */
export async function openVlm(opts: OpenVlmOptions = {}): Promise<OpenedVlm> {
  let modelPath = opts.model;
  let mmprojPath = opts.mmproj;
  if (!modelPath) {
    const d = defaultModelPaths();
    modelPath = d.model;
    mmprojPath ??= d.mmproj;
  }
  if (!mmprojPath) throw new UserError("bad_argument", `--mmproj is required with --model (the vision projector GGUF that belongs to ${modelPath})`);
  const opened: ByteSource[] = [];
  let backend: Backend | undefined;
  try {
    const llmBytes = await fileSource(modelPath);
    opened.push(llmBytes);
    const mmBytes = await fileSource(mmprojPath);
    opened.push(mmBytes);
    const llmSrc = modelSourceFromGGUF(await readGGUF(llmBytes));
    const mm = loadMmproj(await readGGUF(mmBytes));
    const tokenizer = Tokenizer.fromMetadata(llmSrc.meta);
    const template = chatTemplateOf(llmSrc.meta).template;
    backend = await createBackend(opts);
    const llm = await loadLanguageModel(llmSrc, backend, { onProgress: (f) => opts.onProgress?.("llm", f) });
    opts.onProgress?.("vision", 0);
    const vision = await loadVisionModel(mm.source, mm.config, backend);
    opts.onProgress?.("vision", 1);
    const vlm = new MiniCPMV({
      llm, vision, tokenizer, chatTemplate: template, name: modelPath,
      resolveImage: nodeImageResolver({ allowLocalFiles: true, ...opts.images }),
    });
    const b = backend;
    const paths = { model: modelPath, mmproj: mmprojPath };
    const dispose = async () => {
      await llm.dispose();
      await b.dispose();
      for (const s of opened) await s.close?.();
    };
    return Object.assign(vlm, { backend: b, paths, dispose });
  } catch (e) {
    await backend?.dispose();
    for (const s of opened) await s.close?.();
    throw e;
  }
}
