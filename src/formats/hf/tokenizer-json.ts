import { UserError } from "../../errors.js";
import type { HfBpePipeline, HfDecoderStep, HfMetaspace, HfNormalizerStep, PrependScheme } from "../tokenizer/hf-bpe.js";
import { preTokenizerName } from "./pre-tokenizer-name.js";

/**
 * The parts of a Hugging Face `tokenizer.json` (the `tokenizers` library's serialisation) that a tokenizer
 * is built from. Two kinds of BPE are accepted:
 * - byte-level BPE (GPT-2 style: Qwen2/3, Llama-3): vocabulary, merges, added tokens and the pre-tokenizer's
 *   `tokenizer.ggml.pre` name, as llama.cpp's converter turns them into `tokenizer.ggml.*`;
 * - SentencePiece-style BPE (Llama-2, MiniCPM4 of MiniCPM-V 4.0): "▁" for spaces through a normalizer
 *   (Prepend + Replace) or a Metaspace pre-tokenizer, usually `<0xXX>` byte fallback, and a decoder chain;
 *   the whole pipeline is kept, so that text is tokenized as the `tokenizers` library does it.
 * Other models (Unigram, WordPiece, WordLevel) and pipeline steps outside these two kinds are refused.
 */

export interface HfAddedToken {
  readonly id: number;
  readonly content: string;
  /** Special added tokens become CONTROL tokens, the others USER_DEFINED. */
  readonly special: boolean;
  /** Matching options (tokenizer.json's; absent for tokens only tokenizer_config.json names). */
  readonly singleWord?: boolean;
  readonly lstrip?: boolean;
  readonly rstrip?: boolean;
  readonly normalized?: boolean;
}

interface CommonTokenizerJson {
  readonly where: string;
  /** The model vocabulary, text → id. */
  readonly vocab: ReadonlyMap<string, number>;
  readonly added: readonly HfAddedToken[];
  /** The raw `post_processor` (BOS/EOS templates are read from it). */
  readonly postProcessor: unknown;
}

export interface ByteLevelTokenizerJson extends CommonTokenizerJson {
  readonly kind: "byte-level";
  /** "a b" strings, as GGUF stores them. */
  readonly merges: readonly string[];
  /** The `tokenizer.ggml.pre` name of the pre-tokenizer. */
  readonly pre: string;
}

export interface SentencePieceTokenizerJson extends CommonTokenizerJson, HfBpePipeline {
  readonly kind: "sentencepiece";
  /** A "▁" is put before the text (Prepend normalizer, or Metaspace with a prepend scheme). */
  readonly addSpacePrefix: boolean;
}

export type HfTokenizerJson = ByteLevelTokenizerJson | SentencePieceTokenizerJson;

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
    const flag = (k: string) => (typeof a[k] === "boolean" ? (a[k] as boolean) : undefined);
    return {
      id: a.id as number, content: a.content, special: a.special === true,
      singleWord: flag("single_word"), lstrip: flag("lstrip"), rstrip: flag("rstrip"), normalized: flag("normalized"),
    };
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

const flattenSteps = (v: unknown, key: string): unknown[] =>
  isObject(v) && v.type === "Sequence" && Array.isArray(v[key]) ? (v[key] as unknown[]).flatMap((x) => flattenSteps(x, key)) : v == null ? [] : [v];
const typeOf = (v: unknown) => (isObject(v) ? String(v.type) : JSON.stringify(v));
const hasByteLevel = (v: unknown, key: string) => flattenSteps(v, key).some((x) => isObject(x) && x.type === "ByteLevel");

export function parseTokenizerJson(json: unknown, where: string): HfTokenizerJson {
  if (!isObject(json)) throw new UserError("bad_file", `${where}: expected a JSON object`);
  const model = json.model;
  if (!isObject(model)) throw new UserError("bad_file", `${where}: "model" is missing`);
  const type = model.type ?? (model.merges !== undefined ? "BPE" : undefined);
  if (type !== "BPE") {
    throw new UserError("unsupported", `${where}: tokenizer model "${String(type)}" is not supported (only BPE: byte-level as Qwen2/3 and Llama-3 use, or SentencePiece-style as Llama-2 and MiniCPM4 use)`);
  }
  const byteLevel = hasByteLevel(json.pre_tokenizer, "pretokenizers") || hasByteLevel(json.decoder, "decoders");
  if (!byteLevel) return parseSentencePiece(json, model, where);
  if (model.byte_fallback === true) {
    throw new UserError("unsupported", `${where}: byte fallback together with a ByteLevel pre-tokenizer or decoder is not supported (byte-level BPE needs no fallback)`);
  }
  checkNormalizer(json.normalizer, where);
  return {
    kind: "byte-level",
    where,
    vocab: vocabOf(model, where),
    added: addedOf(json, where),
    merges: mergesOf(model, where),
    pre: preTokenizerName(json.pre_tokenizer, json.decoder, model.ignore_merges === true, where),
    postProcessor: json.post_processor,
  };
}

/** Merges as pairs; a string merge must hold exactly one space, as `tokenizers` requires. */
function mergePairsOf(model: Json, where: string): [string, string][] {
  const m = model.merges ?? [];
  if (!Array.isArray(m)) throw new UserError("bad_file", `${where}: "model.merges" should be a list`);
  return m.map((x, i) => {
    if (typeof x === "string") {
      const parts = x.split(" ");
      if (parts.length === 2) return [parts[0], parts[1]];
    } else if (Array.isArray(x) && x.length === 2 && typeof x[0] === "string" && typeof x[1] === "string") {
      return [x[0], x[1]];
    }
    throw new UserError("bad_file", `${where}: model.merges[${i}] is neither a "a b" string (one space) nor a pair of strings`);
  });
}

function patternString(v: Json, what: string, where: string): string {
  const p = v.pattern;
  if (isObject(p) && typeof p.String === "string") return p.String;
  const kind = isObject(p) && "Regex" in p ? "a regex pattern" : `pattern ${JSON.stringify(p)}`;
  throw new UserError("unsupported", `${where}: ${what} Replace with ${kind} is not supported (only a plain string pattern)`);
}

function stringField(v: Json, key: string, what: string, where: string, fallback?: string): string {
  const x = v[key] ?? fallback;
  if (typeof x !== "string") throw new UserError("bad_file", `${where}: ${what} ${JSON.stringify(v.type)} needs a string "${key}"`);
  return x;
}

/** Metaspace's prepend scheme, including the older `add_prefix_space` spelling. */
function prependSchemeOf(v: Json, where: string): PrependScheme {
  const scheme = v.prepend_scheme;
  if (scheme === "always" || scheme === "first" || scheme === "never") {
    if (v.add_prefix_space === false && scheme !== "never") throw new UserError("bad_file", `${where}: Metaspace add_prefix_space false does not match prepend_scheme "${scheme}"`);
    return scheme;
  }
  if (scheme !== undefined) throw new UserError("unsupported", `${where}: Metaspace prepend_scheme ${JSON.stringify(scheme)} is not one of always, first, never`);
  return v.add_prefix_space === false ? "never" : "always";
}

function replacementOf(v: Json, where: string): string {
  const r = stringField(v, "replacement", "Metaspace", where, "\u2581");
  if (Array.from(r).length !== 1) throw new UserError("bad_file", `${where}: Metaspace replacement ${JSON.stringify(r)} should be one character`);
  return r;
}

function normalizerOf(n: unknown, where: string): HfNormalizerStep[] {
  return flattenSteps(n, "normalizers").map((v): HfNormalizerStep => {
    if (!isObject(v)) throw new UserError("bad_file", `${where}: normalizer ${JSON.stringify(v)} is not an object`);
    switch (v.type) {
      case "Prepend": return { type: "prepend", prepend: stringField(v, "prepend", "normalizer", where) };
      case "Replace": return { type: "replace", pattern: patternString(v, "normalizer", where), content: stringField(v, "content", "normalizer", where) };
      case "NFC": case "NFD": case "NFKC": case "NFKD": return { type: "unicode", form: v.type };
      default:
        throw new UserError("unsupported", `${where}: normalizer "${typeOf(v)}" is not supported for SentencePiece-style BPE (supported: Prepend, Replace, NFC, NFD, NFKC, NFKD, Sequence)`);
    }
  });
}

function preTokenizerOf(p: unknown, where: string): HfMetaspace[] {
  return flattenSteps(p, "pretokenizers").map((v): HfMetaspace => {
    if (!isObject(v) || v.type !== "Metaspace") {
      throw new UserError("unsupported", `${where}: pre-tokenizer "${typeOf(v)}" is not supported (byte-level BPE needs ByteLevel; SentencePiece-style BPE takes none or Metaspace)`);
    }
    return { replacement: replacementOf(v, where), prependScheme: prependSchemeOf(v, where), split: v.split !== false };
  });
}

function decoderOf(d: unknown, where: string): HfDecoderStep[] | null {
  if (d == null) return null;
  return flattenSteps(d, "decoders").map((v): HfDecoderStep => {
    if (!isObject(v)) throw new UserError("bad_file", `${where}: decoder ${JSON.stringify(v)} is not an object`);
    switch (v.type) {
      case "Replace": return { type: "replace", pattern: patternString(v, "decoder", where), content: stringField(v, "content", "decoder", where) };
      case "ByteFallback": return { type: "byteFallback" };
      case "Fuse": return { type: "fuse" };
      case "Strip": {
        const content = stringField(v, "content", "decoder", where);
        const count = (k: string) => {
          const x = v[k] ?? 0;
          if (!Number.isSafeInteger(x) || (x as number) < 0) throw new UserError("bad_file", `${where}: decoder Strip "${k}" should be a non-negative integer`);
          return x as number;
        };
        if (Array.from(content).length !== 1) throw new UserError("bad_file", `${where}: decoder Strip content ${JSON.stringify(content)} should be one character`);
        return { type: "strip", content, start: count("start"), stop: count("stop") };
      }
      case "Metaspace": return { type: "metaspace", replacement: replacementOf(v, where), prependScheme: prependSchemeOf(v, where) };
      default:
        throw new UserError("unsupported", `${where}: decoder "${typeOf(v)}" is not supported for SentencePiece-style BPE (supported: Replace, ByteFallback, Fuse, Strip, Metaspace, Sequence)`);
    }
  });
}

/** A BPE model without the byte-level alphabet: the SentencePiece style, kept as the `tokenizers` pipeline. */
function parseSentencePiece(json: Json, model: Json, where: string): SentencePieceTokenizerJson {
  if (model.dropout != null && model.dropout !== 0) {
    throw new UserError("unsupported", `${where}: BPE dropout ${JSON.stringify(model.dropout)} is not supported (tokenization would be random)`);
  }
  for (const key of ["continuing_subword_prefix", "end_of_word_suffix"]) {
    if (model[key] != null && model[key] !== "") throw new UserError("unsupported", `${where}: BPE "${key}" ${JSON.stringify(model[key])} is not supported for SentencePiece-style BPE`);
  }
  const unk = model.unk_token ?? null;
  if (unk !== null && typeof unk !== "string") throw new UserError("bad_file", `${where}: "model.unk_token" should be a string or null`);
  const normalizer = normalizerOf(json.normalizer, where);
  const preTokenizer = preTokenizerOf(json.pre_tokenizer, where);
  const addSpacePrefix = normalizer.some((n) => n.type === "prepend" && n.prepend === "\u2581")
    || preTokenizer.some((m) => m.prependScheme !== "never");
  return {
    kind: "sentencepiece",
    where,
    vocab: vocabOf(model, where),
    added: addedOf(json, where),
    merges: mergePairsOf(model, where),
    unkToken: unk,
    fuseUnk: model.fuse_unk === true,
    byteFallback: model.byte_fallback === true,
    ignoreMerges: model.ignore_merges === true,
    normalizer,
    preTokenizer,
    decoder: decoderOf(json.decoder, where),
    addSpacePrefix,
    postProcessor: json.post_processor,
  };
}
