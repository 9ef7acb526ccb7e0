import type { Backend } from "../../compute/backend.js";
import type { ModelSource } from "../model-source.js";
import { readLlmConfig } from "./config.js";
import type { LanguageModel } from "./language-model.js";
import { Transformer } from "./transformer.js";
import { loadLlmWeights } from "./weights.js";

export interface LoadLanguageModelOptions {
  /** Called after each tensor group is loaded (0..1), for progress bars. */
  readonly onProgress?: (fraction: number) => void;
  /** The model's dispose() also disposes the backend (for callers that created it only for this model). */
  readonly disposeBackend?: boolean;
}

/**
 * Loads the language model of a llama.cpp-style source (GGUF archs llama, qwen2, qwen3, minicpm):
 * hyper-parameters from metadata, every tensor checked for presence and shape, matrices into `backend`.
 */
export async function loadLanguageModel(src: ModelSource, backend: Backend, opts: LoadLanguageModelOptions = {}): Promise<LanguageModel> {
  const config = readLlmConfig(src);
  const weights = await loadLlmWeights(src, backend, config, opts.onProgress);
  return new Transformer(config, weights, backend, src.name, opts.disposeBackend ?? false);
}
