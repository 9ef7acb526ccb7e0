/** Authors' Hugging Face checkpoints → ModelSource (llama.cpp names and metadata). */
export { loadHfVision } from "./vision.js";
export { loadHfLanguageModel } from "./language-model.js";
export { openHfCheckpoint, type HfCheckpoint, type HfFileSet, type HfTensor } from "./load-folder.js";
export { memoryFolder, blobFolder, readJSON, readText, type FolderReader } from "./folder.js";
export type { HfModelSource } from "./meta.js";
export { llmArch, minicpmvVersion, type LlmArch } from "./version.js";
export { loadHfTokenizer, hfTokenizerMetadata, convertHfTokenizer, readHfTokenizerFiles } from "./tokenizer.js";
export { openHfVlmFolder } from "./vlm-folder.js";
