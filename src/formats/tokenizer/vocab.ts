import { UserError } from "../../errors.js";
import type { GGUFMetadata } from "../gguf/reader.js";
import { buildMergeRanks } from "./bpe.js";
import { preTokenizerFor, type PreTokenizer } from "./pre-tokenizers.js";
import { EOG_TEXTS, GUESSED, readSpecialIds, type SpecialIds } from "./special-ids.js";
import { SPM_DEFAULT_IDS, SPM_PRE } from "./spm.js";
import {
  ATTR_CONTROL, ATTR_NORMAL, ATTR_UNKNOWN, ATTR_UNUSED, ATTR_USER_DEFINED, attrOfType,
} from "./token-attrs.js";
import { utf8Encode } from "./unicode.js";

/**
 * A byte-level BPE (`gpt2`) or SentencePiece (`llama`) vocabulary as llama.cpp loads it from `tokenizer.ggml.*`
 * (llama_vocab::impl::load).
 */
export interface Vocab {
  readonly file: string;
  /** `tokenizer.ggml.model`. */
  readonly model: "gpt2" | "llama";
  /** Token scores (the SentencePiece merge order); all zero for byte-level BPE. */
  readonly scores: Float32Array;
  readonly tokens: readonly string[];
  readonly attrs: Uint16Array;
  readonly ids: ReadonlyMap<string, number>;
  readonly ranks: ReadonlyMap<string, number>;
  readonly pre: PreTokenizer;
  readonly special: Readonly<SpecialIds>;
  readonly eog: ReadonlySet<number>;
  /** Control, user-defined and unknown tokens, longest (in UTF-8 bytes) first: matched in raw text. */
  readonly specialTokens: readonly number[];
  readonly addBos: boolean;
  readonly addEos: boolean;
  readonly addSpacePrefix: boolean;
}

export function loadVocab(meta: GGUFMetadata): Vocab {
  const file = meta.fileName;
  const model = meta.string("tokenizer.ggml.model");
  if (model !== "gpt2" && model !== "llama") {
    throw new UserError("unsupported", `${file}: tokenizer model "${model}" is not supported (only byte-level BPE, "gpt2", and SentencePiece, "llama")`);
  }
  const spm = model === "llama";
  // SentencePiece: llama.cpp ignores tokenizer.ggml.pre and has no merges list (scores order the merges)
  const pre = spm ? SPM_PRE : preTokenizerFor(meta.has("tokenizer.ggml.pre") ? meta.string("tokenizer.ggml.pre") : undefined, file);
  if (!spm && !meta.has("tokenizer.ggml.merges")) throw new UserError("missing", `${file}: tokenizer merges are missing (tokenizer.ggml.merges)`);
  const ranks = spm ? new Map<string, number>() : buildMergeRanks(meta.strings("tokenizer.ggml.merges"));

  const tokens = meta.strings("tokenizer.ggml.tokens");
  const n = tokens.length;
  if (n === 0) throw new UserError("bad_file", `${file}: the vocabulary (tokenizer.ggml.tokens) is empty`);
  const attrs = new Uint16Array(n).fill(ATTR_NORMAL);
  if (meta.has("tokenizer.ggml.token_type")) {
    const types = meta.numbers("tokenizer.ggml.token_type");
    if (types.length < n) throw new UserError("bad_file", `${file}: ${types.length} token types for ${n} tokens`);
    for (let i = 0; i < n; i++) attrs[i] = attrOfType(types[i]);
  }
  const ids = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    if (tokens[i] === "") tokens[i] = `[EMPTY_${i}]`;
    const seen = ids.get(tokens[i]);
    if (seen !== undefined) throw new UserError("bad_file", `${file}: duplicate token ${JSON.stringify(tokens[i])} (ids ${seen} and ${i})`);
    ids.set(tokens[i], i);
  }

  const scores = new Float32Array(n);
  if (spm && meta.has("tokenizer.ggml.scores")) {
    const s = meta.numbers("tokenizer.ggml.scores");
    if (s.length < n) throw new UserError("bad_file", `${file}: ${s.length} token scores for ${n} tokens`);
    for (let i = 0; i < n; i++) scores[i] = s[i];
  }

  const special = readSpecialIds(meta, n);
  if (spm) {
    // SentencePiece defaults (unk 0, bos 1, eos 2) where the file names no valid id
    for (const [k, key, def] of SPM_DEFAULT_IDS) {
      const v = meta.has(key) ? meta.number(key) : -1;
      if (!(Number.isInteger(v) && v >= 0 && v < n)) special[k] = def < n ? def : null;
    }
  }
  guessMissingIds(special, ids, attrs);
  markUnused(tokens, attrs);
  const eog = endOfGeneration(special, tokens, attrs);

  const addBos = meta.bool("tokenizer.ggml.add_bos_token", pre.addBos);
  const addEos = meta.bool("tokenizer.ggml.add_eos_token", false);
  if (addBos && special.bos === null) throw new UserError("bad_file", `${file}: add_bos_token is true but there is no BOS token`);
  if (addEos && special.eos === null) throw new UserError("bad_file", `${file}: add_eos_token is true but there is no EOS token`);

  return {
    file, model, scores, tokens, attrs, ids, ranks, pre, special, eog,
    specialTokens: specialTokensLongestFirst(tokens, attrs),
    addBos, addEos,
    addSpacePrefix: meta.bool("tokenizer.ggml.add_space_prefix", spm),
  };
}

/** Fills eot/eom/FIM ids the GGUF does not name from well-known token texts, and makes them control tokens. */
function guessMissingIds(special: SpecialIds, ids: ReadonlyMap<string, number>, attrs: Uint16Array): void {
  // llama.cpp walks its hash map, so with several candidates its pick is arbitrary; we take the list order.
  for (const [k, texts] of Object.entries(GUESSED) as [keyof SpecialIds, readonly string[]][]) {
    if (special[k] !== null) continue;
    for (const t of texts) {
      const id = ids.get(t);
      if (id === undefined) continue;
      special[k] = id;
      attrs[id] |= ATTR_CONTROL;
      break;
    }
  }
}

function markUnused(tokens: readonly string[], attrs: Uint16Array): void {
  for (let i = 0; i < tokens.length; i++) {
    if (attrs[i] & ATTR_CONTROL && tokens[i].includes("unused")) attrs[i] |= ATTR_UNUSED;
  }
}

function endOfGeneration(special: SpecialIds, tokens: readonly string[], attrs: Uint16Array): Set<number> {
  const eog = new Set<number>();
  for (const id of [special.fimPad, special.fimRep, special.fimSep]) if (id !== null) eog.add(id);
  for (let i = 0; i < tokens.length; i++) {
    if (!EOG_TEXTS.has(tokens[i])) continue;
    eog.add(i);
    attrs[i] |= ATTR_CONTROL;
  }
  // gpt-oss: these are always rendered
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === "<|channel|>" || t === "<|message|>" || t === "<|start|>" || t === "<|constrain|>") attrs[i] = ATTR_USER_DEFINED;
  }
  for (const id of [special.eos, special.eot, special.eom]) if (id !== null) eog.add(id);

  const idOf = (text: string) => [...eog].find((id) => tokens[id] === text);
  // harmony / solar-open: "<|end|>" ends a message, not the generation
  const has = (text: string) => idOf(text) !== undefined;
  const end = idOf("<|end|>");
  const hasCall = has("<|call|>") || has("<|calls|>");
  if (end !== undefined && hasCall && (has("<|return|>") || has("<|flush|>"))) {
    eog.delete(end);
    attrs[end] = ATTR_USER_DEFINED;
  }
  // gemma4 / paddleocr: "</s>" is not an end token when "<|tool_response>" is
  const s = idOf("</s>");
  if (s !== undefined && has("<|tool_response>")) {
    eog.delete(s);
    attrs[s] = ATTR_NORMAL;
  }
  return eog;
}

function specialTokensLongestFirst(tokens: readonly string[], attrs: Uint16Array): number[] {
  const list: { id: number; bytes: number }[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (attrs[i] & (ATTR_CONTROL | ATTR_USER_DEFINED | ATTR_UNKNOWN)) list.push({ id: i, bytes: utf8Encode(tokens[i]).length });
  }
  list.sort((a, b) => b.bytes - a.bytes || a.id - b.id);
  return list.map((e) => e.id);
}
