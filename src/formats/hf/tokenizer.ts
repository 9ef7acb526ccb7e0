import { UserError } from "../../errors.js";
import { GGUFMetadata } from "../gguf/reader.js";
import { effectiveAddedTokens } from "./added-tokens.js";
import { GGUFValueType, type GGUFEntry } from "../gguf/types.js";
import type { HfBpeSpec } from "../tokenizer/hf-bpe.js";
import { Tokenizer } from "../tokenizer/index.js";
import { readJSON, readText, type FolderReader } from "./folder.js";
import { readSpecialVocab, type NamedTemplate, type SpecialType, type SpecialVocabFiles } from "./special-vocab.js";
import { parseTokenizerJson, type HfAddedToken, type SentencePieceTokenizerJson } from "./tokenizer-json.js";
import { TOKEN_NORMAL, TOKEN_USER_DEFINED, vocabTokens } from "./vocab-tokens.js";

/**
 * A Hugging Face tokenizer (tokenizer.json + tokenizer_config.json [+ config.json]) as the
 * `tokenizer.ggml.*` / `tokenizer.chat_template` metadata llama.cpp's convert_hf_to_gguf.py writes, and the
 * Tokenizer built from it. A byte-level BPE vocabulary becomes a `gpt2` one, tokenized as llama.cpp does
 * (the two agree). A SentencePiece-style BPE (Llama-2, MiniCPM4) becomes a `llama` vocabulary with scores
 * from the merge ranks, and its Tokenizer runs the tokenizer.json pipeline as the `tokenizers` library does
 * (tokenizer.json has merges, not SentencePiece scores, and llama.cpp's SentencePiece rules differ in places).
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

/**
 * SentencePiece-like scores for a `llama` vocabulary: a token made by merges scores minus the rank of its first
 * merge (so llama.cpp's highest-score-first merging follows the merge order); other model tokens score below
 * every merged one; byte, control and unknown tokens 0 and user-defined ones -1000, as the converter writes them.
 */
function spmScores(t: SentencePieceTokenizerJson, tokens: readonly string[], types: readonly number[]): number[] {
  const firstRank = new Map<string, number>();
  t.merges.forEach(([a, b], rank) => { if (!firstRank.has(a + b)) firstRank.set(a + b, rank); });
  return tokens.map((text, i) => {
    if (types[i] === TOKEN_USER_DEFINED) return -1000;
    if (types[i] !== TOKEN_NORMAL) return 0;
    return -(firstRank.get(text) ?? t.merges.length);
  });
}

/** The pipeline's added tokens with the `tokenizers` defaults for options tokenizer.json does not give. */
function pipelineAdded(added: readonly HfAddedToken[]): HfBpeSpec["added"] {
  return added.map((a) => ({
    id: a.id, content: a.content, special: a.special, singleWord: a.singleWord ?? false, lstrip: a.lstrip ?? false,
    rstrip: a.rstrip ?? false, normalized: a.normalized ?? !a.special,
  }));
}

export interface HfTokenizerConversion {
  /** The `tokenizer.*` metadata entries, in the order the converter writes them. */
  readonly entries: Map<string, GGUFEntry>;
  /** For a SentencePiece-style tokenizer.json: the pipeline its Tokenizer runs (Tokenizer.fromMetadata's `hf`). */
  readonly pipeline?: HfBpeSpec;
}

export function convertHfTokenizer(files: HfTokenizerFiles, opts: HfTokenizerOptions = {}): HfTokenizerConversion {
  const where = `${opts.name ?? "tokenizer"}/tokenizer.json`;
  const t = parseTokenizerJson(files.tokenizerJson, where);
  const added = effectiveAddedTokens(t, files.tokenizerConfig);
  const { tokens, types } = vocabTokens(t, added, opts.vocabSize);
  const special = readSpecialVocab(files);
  const spm = t.kind === "sentencepiece";
  const out = new Map<string, GGUFEntry>([
    ["tokenizer.ggml.model", str(spm ? "llama" : "gpt2")],
    ["tokenizer.ggml.pre", str(spm ? "default" : t.pre)],
    ["tokenizer.ggml.tokens", strings(tokens)],
  ]);
  if (spm) out.set("tokenizer.ggml.scores", { type: GGUFValueType.ARRAY, value: { itemType: GGUFValueType.FLOAT32, items: spmScores(t, tokens, types) } });
  out.set("tokenizer.ggml.token_type", { type: GGUFValueType.ARRAY, value: { itemType: GGUFValueType.INT32, items: types } });
  if (!spm && t.merges.length > 0) out.set("tokenizer.ggml.merges", strings([...t.merges]));
  for (const [type, id] of special.ids) {
    const key = ID_KEYS[type];
    if (key) out.set(`tokenizer.ggml.${key}`, { type: GGUFValueType.UINT32, value: id });
  }
  // SentencePiece vocabularies: BOS/EOS exactly as the post-processor / tokenizer_config.json say (no template,
  // no flag: none), since llama.cpp's default for a `llama` vocabulary would add a BOS
  const add = spm ? new Map([["bos", false], ["eos", false], ...special.add] as [SpecialType, boolean][]) : special.add;
  for (const [type, flag] of add) {
    const key = ADD_KEYS[type];
    if (key) out.set(`tokenizer.ggml.${key}`, { type: GGUFValueType.BOOL, value: flag });
  }
  if (spm) out.set("tokenizer.ggml.add_space_prefix", { type: GGUFValueType.BOOL, value: t.addSpacePrefix });
  addChatTemplates(out, special.chatTemplate);
  if (!spm) return { entries: out };
  const cfg = files.tokenizerConfig as Record<string, unknown> | undefined;
  const pipeline: HfBpeSpec = {
    where, vocab: t.vocab, merges: t.merges, unkToken: t.unkToken, fuseUnk: t.fuseUnk, byteFallback: t.byteFallback,
    ignoreMerges: t.ignoreMerges, normalizer: t.normalizer, preTokenizer: t.preTokenizer, decoder: t.decoder,
    added: pipelineAdded(added), cleanUpSpaces: typeof cfg === "object" && cfg !== null && cfg.clean_up_tokenization_spaces === true,
  };
  return { entries: out, pipeline };
}

/** The metadata entries, in the order the converter writes them. */
export function hfTokenizerEntries(files: HfTokenizerFiles, opts: HfTokenizerOptions = {}): Map<string, GGUFEntry> {
  return convertHfTokenizer(files, opts).entries;
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

/**
 * The Tokenizer of a checkpoint folder, built as from the GGUF llama.cpp would convert it to (byte-level BPE),
 * or running the folder's SentencePiece-style pipeline over that vocabulary.
 */
export async function loadHfTokenizer(folder: FolderReader, opts: HfTokenizerOptions = {}): Promise<HfTokenizer> {
  const name = opts.name ?? folder.name;
  const { entries, pipeline } = convertHfTokenizer(await readHfTokenizerFiles(folder), { ...opts, name });
  const meta = new GGUFMetadata(name, entries);
  return { tokenizer: Tokenizer.fromMetadata(meta, pipeline), meta };
}
