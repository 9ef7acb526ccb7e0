import { UserError } from "../../errors.js";
import { preTokenizerName } from "./pre-tokenizer-name.js";

/**
 * The parts of a Hugging Face `tokenizer.json` (the `tokenizers` library's serialisation) that
 * llama.cpp's converter turns into `tokenizer.ggml.*`: the BPE vocabulary and merges, the added
 * tokens, and the pre-tokenizer. Only byte-level BPE (GPT-2 style: Qwen2/3, Llama-3) is accepted.
 */

export interface HfAddedToken {
  readonly id: number;
  readonly content: string;
  /** Special added tokens become CONTROL tokens, the others USER_DEFINED. */
  readonly special: boolean;
}

export interface HfTokenizerJson {
  readonly where: string;
  /** The model vocabulary, text → id (byte-level alphabet). */
  readonly vocab: ReadonlyMap<string, number>;
  readonly added: readonly HfAddedToken[];
  /** "a b" strings, as GGUF stores them. */
  readonly merges: readonly string[];
  /** The `tokenizer.ggml.pre` name of the pre-tokenizer. */
  readonly pre: string;
  /** The raw `post_processor` (BOS/EOS templates are read from it). */
  readonly postProcessor: unknown;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function vocabOf(model: Json, where: string): Map<string, number> {
  const v = model.vocab;
  if (!isObject(v)) throw new UserError("bad_file", `${where}: "model.vocab" should map token texts to ids`);
  const out = new Map<string, number>();
  for (const [text, id] of Object.entries(v)) {
    if (!Number.isSafeInteger(id) || (id as number) < 0) throw new UserError("bad_file", `${where}: token ${JSON.stringify(text)} has id ${JSON.stringify(id)}, not a non-negative integer`);
    out.set(text, id as number);
  }
  return out;
}

function addedOf(json: Json, where: string): HfAddedToken[] {
  const list = json.added_tokens ?? [];
  if (!Array.isArray(list)) throw new UserError("bad_file", `${where}: "added_tokens" should be a list`);
  return list.map((a, i) => {
    if (!isObject(a) || typeof a.content !== "string" || !Number.isSafeInteger(a.id) || (a.id as number) < 0) {
      throw new UserError("bad_file", `${where}: added_tokens[${i}] should have a string "content" and a non-negative integer "id"`);
    }
    return { id: a.id as number, content: a.content, special: a.special === true };
  });
}

/**
 * Merges as "a b" strings. Since transformers 4.45 they may be stored as pairs, which allows spaces in
 * a part; llama.cpp's converter then writes each space as U+0120 (its byte-level spelling).
 */
export function mergesOf(model: Json, where: string): string[] {
  const m = model.merges ?? [];
  if (!Array.isArray(m)) throw new UserError("bad_file", `${where}: "model.merges" should be a list`);
  if (m.length === 0) return [];
  if (typeof m[0] === "string") {
    if (m.some((x) => typeof x !== "string")) throw new UserError("bad_file", `${where}: "model.merges" mixes strings and pairs`);
    return m as string[];
  }
  const pairs = m as unknown[];
  return pairs.map((p, i) => {
    if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== "string" || typeof p[1] !== "string") {
      throw new UserError("bad_file", `${where}: model.merges[${i}] is neither a "a b" string nor a pair of strings`);
    }
    return `${p[0].replaceAll(" ", "\u0120")} ${p[1].replaceAll(" ", "\u0120")}`;
  });
}

/** Throws unless the normalizer is one llama.cpp's byte-level tokenizers ignore too. */
function checkNormalizer(n: unknown, where: string): void {
  if (!isObject(n)) return;
  if (n.type === "Lowercase" || (n.type === "BertNormalizer" && n.lowercase !== false)) {
    throw new UserError("unsupported", `${where}: lower-casing normalizers are not supported`);
  }
  if (n.type === "Sequence" && Array.isArray(n.normalizers)) for (const x of n.normalizers) checkNormalizer(x, where);
}

export function parseTokenizerJson(json: unknown, where: string): HfTokenizerJson {
  if (!isObject(json)) throw new UserError("bad_file", `${where}: expected a JSON object`);
  const model = json.model;
  if (!isObject(model)) throw new UserError("bad_file", `${where}: "model" is missing`);
  const type = model.type ?? (model.merges !== undefined ? "BPE" : undefined);
  if (type !== "BPE") throw new UserError("unsupported", `${where}: tokenizer model "${String(type)}" is not supported (only byte-level BPE)`);
  if (model.byte_fallback === true) {
    throw new UserError("unsupported", `${where}: BPE with byte fallback (SentencePiece style) is not supported (only byte-level BPE, as Qwen2/3 and Llama-3 use)`);
  }
  checkNormalizer(json.normalizer, where);
  return {
    where,
    vocab: vocabOf(model, where),
    added: addedOf(json, where),
    merges: mergesOf(model, where),
    pre: preTokenizerName(json.pre_tokenizer, json.decoder, model.ignore_merges === true, where),
    postProcessor: json.post_processor,
  };
}
