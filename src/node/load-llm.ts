import { UserError } from "../errors.js";
import type { Backend } from "../compute/backend.js";
import { JsBackend } from "../compute/js/js-backend.js";
import { createWasmBackend } from "../compute/wasm/index.js";
import { nodeWasmPlatform } from "./wasm-platform.js";
import { readGGUF } from "../formats/gguf/reader.js";
import type { LanguageModel } from "../models/llm/language-model.js";
import { loadLanguageModel } from "../models/llm/load.js";
import { modelSourceFromGGUF, type ModelSource } from "../models/model-source.js";
import { fileSource } from "./file-source.js";
import { localGgufPath, type HubOptions } from "./hub-model.js";

export type BackendChoice = "auto" | "js" | "wasm";

export interface BackendOptions {
  readonly backend?: BackendChoice;
  /** Worker threads for backends that use them. */
  readonly threads?: number;
}

/** The compute backend asked for: "auto" and "wasm" take WebAssembly SIMD on all cores (or `threads`), "js" the reference. */
export async function createBackend(opts: BackendOptions = {}): Promise<Backend> {
  const choice = opts.backend ?? "auto";
  if (choice !== "auto" && choice !== "js" && choice !== "wasm") {
    throw new UserError("bad_argument", `backend "${String(choice)}" is not one of auto, js, wasm`);
  }
  const threads = opts.threads;
  if (threads !== undefined && !(Number.isInteger(threads) && threads > 0)) {
    throw new UserError("bad_argument", `threads ${threads} should be a positive integer`);
  }
  if (choice === "js") return new JsBackend();
  const platform = nodeWasmPlatform();
  return createWasmBackend({ threads: threads ?? platform.defaultThreads, kernels: platform.kernels, workerPort: platform.workerPort });
}

export interface OpenedLanguageModel extends LanguageModel {
  /** The backend the weights live in (created for this model; dispose() frees it). */
  readonly backend: Backend;
  /** The file's description (metadata incl. the tokenizer keys); its bytes stay open until dispose(). */
  readonly source: ModelSource;
}

/**
 * Opens a GGUF language model file (or a Hub reference, `hf:owner/name[:QUANT]`): readGGUF + modelSourceFromGGUF + loadLanguageModel, on the
 * backend asked for. dispose() releases the backend and the file.
 */
export async function openLanguageModel(model: string, opts: BackendOptions & { onProgress?: (fraction: number) => void; hub?: HubOptions } = {}): Promise<OpenedLanguageModel> {
  const bytes = await fileSource(await localGgufPath(model, opts.hub));
  let backend: Backend | undefined;
  try {
    const source = modelSourceFromGGUF(await readGGUF(bytes));
    backend = await createBackend(opts);
    const model = await loadLanguageModel(source, backend, { onProgress: opts.onProgress, disposeBackend: true });
    const dispose = model.dispose.bind(model);
    return Object.assign(model, {
      backend,
      source,
      async dispose() {
        await dispose();
        await bytes.close?.();
      },
    });
  } catch (e) {
    await backend?.dispose();
    await bytes.close?.();
    throw e;
  }
}
