import { UserError } from "../../errors.js";
import { GGUFMetadata } from "../gguf/reader.js";
import { effectiveAddedTokens } from "./added-tokens.js";
import { GGUFValueType, type GGUFEntry } from "../gguf/types.js";
import { Tokenizer } from "../tokenizer/index.js";
import { readJSON, readText, type FolderReader } from "./folder.js";
import { readSpecialVocab, type NamedTemplate, type SpecialType, type SpecialVocabFiles } from "./special-vocab.js";
import { parseTokenizerJson } from "./tokenizer-json.js";
import { vocabTokens } from "./vocab-tokens.js";

/**
 * A Hugging Face tokenizer (tokenizer.json + tokenizer_config.json [+ config.json]) as the
 * `tokenizer.ggml.*` / `tokenizer.chat_template` metadata llama.cpp's convert_hf_to_gguf.py writes for
 * a byte-level BPE vocabulary, and the Tokenizer built from it.
 */

export interface HfTokenizerFiles extends SpecialVocabFiles {
  /** Parsed tokenizer.json. */
  readonly tokenizerJson: unknown;
}

export interface HfTokenizerOptions {
  /** Shown in messages (a folder path). */
  readonly name?: string;
  /** Rows of the model's embedding (config `vocab_size`): ids past the tokenizer's become [PAD<id>]. */
  readonly vocabSize?: number;
}

const ID_KEYS: Partial<Record<SpecialType, string>> = {
  bos: "bos_token_id", eos: "eos_token_id", unk: "unknown_token_id", sep: "seperator_token_id", pad: "padding_token_id",
  mask: "mask_token_id", eot: "eot_token_id", eom: "eom_token_id",
};
const ADD_KEYS: Partial<Record<SpecialType, string>> = { bos: "add_bos_token", eos: "add_eos_token", sep: "add_sep_token" };

const str = (value: string): GGUFEntry => ({ type: GGUFValueType.STRING, value });
const strings = (items: string[]): GGUFEntry => ({ type: GGUFValueType.ARRAY, value: { itemType: GGUFValueType.STRING, items } });

function addChatTemplates(out: Map<string, GGUFEntry>, t: string | readonly NamedTemplate[] | undefined): void {
  if (t === undefined) return;
  if (typeof t === "string") {
    out.set("tokenizer.chat_template", str(t));
    return;
  }
  let fallback: string | undefined;
  const names: string[] = [];
  for (const { name: raw, template } of t) {
    const name = raw.replace(/[^A-Za-z0-9]/g, "_");
    if (!name) continue;
    if (name === "default") fallback = template;
    else {
      if (!names.includes(name)) names.push(name);
      out.set(`tokenizer.chat_template.${name}`, str(template));
    }
  }
  if (names.length > 0) out.set("tokenizer.chat_templates", strings(names));
  if (fallback !== undefined) out.set("tokenizer.chat_template", str(fallback));
}

/** The metadata entries, in the order the converter writes them. */
export function hfTokenizerEntries(files: HfTokenizerFiles, opts: HfTokenizerOptions = {}): Map<string, GGUFEntry> {
  const where = `${opts.name ?? "tokenizer"}/tokenizer.json`;
  const t = parseTokenizerJson(files.tokenizerJson, where);
  const { tokens, types } = vocabTokens(t, effectiveAddedTokens(t, files.tokenizerConfig), opts.vocabSize);
  const special = readSpecialVocab(files);
  const out = new Map<string, GGUFEntry>([
    ["tokenizer.ggml.model", str("gpt2")],
    ["tokenizer.ggml.pre", str(t.pre)],
    ["tokenizer.ggml.tokens", strings(tokens)],
    ["tokenizer.ggml.token_type", { type: GGUFValueType.ARRAY, value: { itemType: GGUFValueType.INT32, items: types } }],
  ]);
  if (t.merges.length > 0) out.set("tokenizer.ggml.merges", strings([...t.merges]));
  for (const [type, id] of special.ids) {
    const key = ID_KEYS[type];
    if (key) out.set(`tokenizer.ggml.${key}`, { type: GGUFValueType.UINT32, value: id });
  }
  for (const [type, flag] of special.add) {
    const key = ADD_KEYS[type];
    if (key) out.set(`tokenizer.ggml.${key}`, { type: GGUFValueType.BOOL, value: flag });
  }
  addChatTemplates(out, special.chatTemplate);
  return out;
}

export function hfTokenizerMetadata(files: HfTokenizerFiles, opts: HfTokenizerOptions = {}): GGUFMetadata {
  return new GGUFMetadata(opts.name ?? "tokenizer", hfTokenizerEntries(files, opts));
}

/** Reads the tokenizer files of a checkpoint folder (tokenizer.json is required). */
export async function readHfTokenizerFiles(folder: FolderReader): Promise<HfTokenizerFiles> {
  const files = await folder.list();
  if (!files.includes("tokenizer.json")) {
    const slow = files.includes("vocab.json") || files.includes("tokenizer.model") ? " (only the fast-tokenizer file tokenizer.json is supported)" : "";
    throw new UserError("missing", `${folder.name}: no tokenizer.json${slow}`);
  }
  const json = async (f: string) => (files.includes(f) ? readJSON(folder, f) : undefined);
  const extra = files.filter((f) => f.startsWith("additional_chat_templates/") && f.endsWith(".jinja"));
  return {
    tokenizerJson: await readJSON(folder, "tokenizer.json"),
    tokenizerConfig: await json("tokenizer_config.json"),
    config: await json("config.json"),
    chatTemplateJinja: files.includes("chat_template.jinja") ? await readText(folder, "chat_template.jinja") : undefined,
    additionalTemplates: await Promise.all(extra.map(async (f) => ({ name: f.slice(26, -6), template: await readText(folder, f) }))),
    chatTemplateJson: await json("chat_template.json"),
  };
}

export interface HfTokenizer {
  readonly tokenizer: Tokenizer;
  /** The `tokenizer.*` metadata it was built from. */
  readonly meta: GGUFMetadata;
}

/** The Tokenizer of a checkpoint folder, built as from the GGUF llama.cpp would convert it to. */
export async function loadHfTokenizer(folder: FolderReader, opts: HfTokenizerOptions = {}): Promise<HfTokenizer> {
  const meta = hfTokenizerMetadata(await readHfTokenizerFiles(folder), { name: folder.name, ...opts });
  return { tokenizer: Tokenizer.fromMetadata(meta), meta };
}
