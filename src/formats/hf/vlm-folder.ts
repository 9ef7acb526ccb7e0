import { chatTemplateOf } from "../chat-template/index.js";
import { GGUFMetadata } from "../gguf/reader.js";
import { Tokenizer } from "../tokenizer/index.js";
import type { ModelSource } from "../../models/model-source.js";
import type { FolderReader } from "./folder.js";
import { loadHfLanguageModel } from "./language-model.js";
import type { HfModelSource } from "./meta.js";
import { convertHfTokenizer, readHfTokenizerFiles } from "./tokenizer.js";
import { loadHfVision } from "./vision.js";

/**
 * An authors' MiniCPM-V folder (config.json, safetensors, tokenizer files) as the same descriptions a
 * GGUF pair gives: the language model with its `tokenizer.*` metadata (as llama.cpp's converter would
 * write them into the LLM GGUF), the vision side (`clip.*`, `v.*`, `resampler.*`), the tokenizer and
 * the chat template.
 */
export interface HfVlmFolder {
  readonly llm: ModelSource;
  /** Absent when opened with `vision: false` (the vision side comes from elsewhere). */
  readonly vision?: ModelSource;
  readonly tokenizer: Tokenizer;
  readonly chatTemplate: string;
  /** Closes the weight files. */
  close(): Promise<void>;
}

export async function openHfVlmFolder(folder: FolderReader, opts: { vision?: boolean } = {}): Promise<HfVlmFolder> {
  const opened: HfModelSource[] = [];
  const close = async () => { await Promise.all(opened.map((s) => s.close())); };
  try {
    const lm = await loadHfLanguageModel(folder);
    opened.push(lm);
    const vision = opts.vision === false ? undefined : await loadHfVision(folder);
    if (vision) opened.push(vision);
    const arch = lm.meta.string("general.architecture");
    const vocabSize = lm.meta.number(`${arch}.vocab_size`);
    const { entries, pipeline } = convertHfTokenizer(await readHfTokenizerFiles(folder), { name: folder.name, vocabSize });
    const meta = new GGUFMetadata(lm.name, new Map([...lm.meta.entries, ...entries]));
    const llm: ModelSource = { name: lm.name, meta, tensors: lm.tensors };
    // a SentencePiece-style tokenizer.json tokenizes through its own pipeline over the same vocabulary
    return { llm, vision, tokenizer: Tokenizer.fromMetadata(meta, pipeline), chatTemplate: chatTemplateOf(meta).template, close };
  } catch (e) {
    await close();
    throw e;
  }
}
