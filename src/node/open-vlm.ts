import { stat } from "node:fs/promises";
import { UserError } from "../errors.js";
import type { Backend } from "../compute/backend.js";
import { chatTemplateOf } from "../formats/chat-template/index.js";
import { readGGUF } from "../formats/gguf/reader.js";
import { loadHfVision } from "../formats/hf/vision.js";
import { openHfVlmFolder } from "../formats/hf/vlm-folder.js";
import { Tokenizer } from "../formats/tokenizer/index.js";
import { loadLanguageModel } from "../models/llm/load.js";
import { modelSourceFromGGUF, type ModelSource } from "../models/model-source.js";
import { loadMmproj, loadVisionModel, visionConfigFromSource, type VisionConfig } from "../models/vision/index.js";
import { checkVisionShapes } from "../models/vision/shapes.js";
import { MiniCPMV } from "../multimodal/vlm.js";
import { fileSource } from "./file-source.js";
import { folderReader } from "./folder-reader.js";
import { createBackend, type BackendOptions } from "./load-llm.js";
import { nodeImageResolver, type ResolverOptions } from "./image-resolver.js";
import { defaultModelPaths } from "./default-model.js";
import { localModelPaths, type HubOptions } from "./hub-model.js";

export interface OpenVlmOptions extends BackendOptions {
  /**
   * LLM GGUF, or the authors' Hugging Face folder (config.json + safetensors + tokenizer files) holding
   * the whole model, or a Hub repo of either (`hf:owner/name[@revision][:QUANT]`, fetched into the
   * Hugging Face cache); default: the built-in ShapesWorld model.
   */
  readonly model?: string;
  /**
   * Vision projector: an mmproj GGUF, or an authors' folder with `vpm.*` / `resampler.*`. Required with
   * an LLM GGUF; with a model folder it defaults to that folder.
   */
  readonly mmproj?: string;
  /** Called with a stage name and the fraction done while weights load. */
  readonly onProgress?: (stage: "llm" | "vision", fraction: number) => void;
  readonly images?: ResolverOptions;
  /** Where Hub models come from and go (endpoint, token, cache, offline, download progress). */
  readonly hub?: HubOptions;
}

export interface OpenedVlm extends MiniCPMV {
  readonly backend: Backend;
  readonly paths: { readonly model: string; readonly mmproj: string };
}

/** What the two halves are described by, before any weight is loaded. */
interface Parts {
  llm: ModelSource;
  tokenizer: Tokenizer;
  chatTemplate: string;
  vision?: { source: ModelSource; config: VisionConfig };
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new UserError("missing", `${path}: no such file or folder`);
    return false; // opening it as a file gives the clear message
  }
}

/** An mmproj GGUF or an authors' folder → the vision description. */
async function visionFrom(path: string, closers: (() => Promise<void>)[]): Promise<NonNullable<Parts["vision"]>> {
  if (await isFolder(path)) {
    const source = await loadHfVision(await folderReader(path));
    closers.push(() => source.close());
    const config = visionConfigFromSource(source);
    checkVisionShapes(source, config);
    return { source, config };
  }
  const bytes = await fileSource(path);
  closers.push(async () => { await bytes.close?.(); });
  return loadMmproj(await readGGUF(bytes));
}

async function ggufParts(modelPath: string, closers: (() => Promise<void>)[]): Promise<Parts> {
  const bytes = await fileSource(modelPath);
  closers.push(async () => { await bytes.close?.(); });
  const llm = modelSourceFromGGUF(await readGGUF(bytes));
  return { llm, tokenizer: Tokenizer.fromMetadata(llm.meta), chatTemplate: chatTemplateOf(llm.meta).template };
}

async function folderParts(folder: string, withVision: boolean, closers: (() => Promise<void>)[]): Promise<Parts> {
  const hf = await openHfVlmFolder(await folderReader(folder), { vision: withVision });
  closers.push(() => hf.close());
  const parts: Parts = { llm: hf.llm, tokenizer: hf.tokenizer, chatTemplate: hf.chatTemplate };
  if (hf.vision) {
    const config = visionConfigFromSource(hf.vision);
    checkVisionShapes(hf.vision, config);
    parts.vision = { source: hf.vision, config };
  }
  return parts;
}

/**
 * Opens a MiniCPM-V model on one backend shared by both halves: a GGUF pair (LLM + mmproj), or the
 * authors' Hugging Face folder (LLM, vision and tokenizer from the same folder). Either way the result
 * is the same MiniCPMV.
 */
export async function openVlm(opts: OpenVlmOptions = {}): Promise<OpenedVlm> {
  let { model: modelPath, mmproj: mmprojPath } = await localModelPaths(opts.model, opts.mmproj, opts.hub);
  if (!modelPath) {
    const d = defaultModelPaths();
    modelPath = d.model;
    mmprojPath ??= d.mmproj;
  }
  const modelIsFolder = await isFolder(modelPath);
  if (!mmprojPath && !modelIsFolder) {
    throw new UserError("bad_argument", `--mmproj is required with --model (the vision projector GGUF that belongs to ${modelPath})`);
  }
  const separateVision = mmprojPath !== undefined && mmprojPath !== modelPath;
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => { for (const c of closers.splice(0).reverse()) await c(); };
  let backend: Backend | undefined;
  try {
    const parts = modelIsFolder ? await folderParts(modelPath, !separateVision, closers) : await ggufParts(modelPath, closers);
    const vision = parts.vision ?? await visionFrom(mmprojPath!, closers);
    backend = await createBackend(opts);
    const llm = await loadLanguageModel(parts.llm, backend, { onProgress: (f) => opts.onProgress?.("llm", f) });
    opts.onProgress?.("vision", 0);
    const visionModel = await loadVisionModel(vision.source, vision.config, backend);
    opts.onProgress?.("vision", 1);
    const vlm = new MiniCPMV({
      llm, vision: visionModel, tokenizer: parts.tokenizer, chatTemplate: parts.chatTemplate, name: modelPath,
      resolveImage: nodeImageResolver({ allowLocalFiles: true, ...opts.images }),
    });
    const b = backend;
    const paths = { model: modelPath, mmproj: mmprojPath ?? modelPath };
    const dispose = async () => {
      await llm.dispose();
      await b.dispose();
      await closeAll();
    };
    return Object.assign(vlm, { backend: b, paths, dispose });
  } catch (e) {
    await backend?.dispose();
    await closeAll();
    throw e;
  }
}
