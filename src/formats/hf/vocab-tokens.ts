import { UserError } from "../../errors.js";
import type { HfAddedToken, HfTokenizerJson } from "./tokenizer-json.js";

/** GGUF token types (llama.cpp's gguf.TokenType). */
export const TOKEN_NORMAL = 1;
export const TOKEN_UNKNOWN = 2;
export const TOKEN_CONTROL = 3;
export const TOKEN_USER_DEFINED = 4;
export const TOKEN_UNUSED = 5;
export const TOKEN_BYTE = 6;

const BYTE_TOKEN = /^<0x[0-9A-Fa-f]{2}>$/;

/**
 * Added tokens the converter treats as control tokens even when not marked special
 * (llama.cpp's `does_token_look_special`).
 */
export function looksSpecial(text: string): boolean {
  return ["<pad>", "<mask>", "<2mass>", "[@BOS@]"].includes(text)
    || (text.startsWith("<|") && text.endsWith("|>"))
    || (text.startsWith("<\uff5c") && text.endsWith("\uff5c>"))
    || (text.startsWith("<unused") && text.endsWith(">"));
}

export interface VocabTokens {
  readonly tokens: string[];
  readonly types: number[];
}

/**
 * The token list and types as llama.cpp's `get_vocab_base` writes them: one entry per id below
 * `vocabSize` (the model's embedding rows; default: the tokenizer's size), ids the tokenizer does not
 * use become `[PAD<id>]` UNUSED, added tokens CONTROL when special (or special-looking) and
 * USER_DEFINED otherwise ("▁" spelled as a space), everything else NORMAL. For a SentencePiece-style
 * vocabulary (LlamaHfVocab's types): `<0xXX>` tokens are BYTE, the model's unknown token UNKNOWN unless it
 * is an added token, and user-defined texts are kept as they are.
 */
export function vocabTokens(t: HfTokenizerJson, added: readonly HfAddedToken[], vocabSize?: number): VocabTokens {
  // the tokenizer's full vocabulary (`tokenizer.vocab`): model vocabulary, then added tokens over it
  const all = new Map(t.vocab);
  const addedById = new Map<number, HfAddedToken>();
  for (const a of added) {
    all.set(a.content, a.id);
    addedById.set(a.id, a);
  }
  const byId = new Map<number, string>();
  let maxId = -1;
  for (const [text, id] of all) {
    byId.set(id, text);
    maxId = Math.max(maxId, id);
  }
  const n = vocabSize ?? all.size;
  const spm = t.kind === "sentencepiece";
  if (maxId >= n) {
    throw new UserError("bad_file", `${t.where}: token id ${maxId} (${JSON.stringify(byId.get(maxId))}) does not fit a vocabulary of ${n}`);
  }
  const tokens: string[] = new Array(n);
  const types: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const text = byId.get(i);
    const added = addedById.get(i);
    if (text === undefined) {
      tokens[i] = `[PAD${i}]`;
      types[i] = TOKEN_UNUSED;
    } else if (added && added.content === text) {
      const control = added.special || looksSpecial(text);
      tokens[i] = control || spm ? text : text.replaceAll("\u2581", " ");
      types[i] = control ? TOKEN_CONTROL : TOKEN_USER_DEFINED;
    } else if (spm && BYTE_TOKEN.test(text)) {
      tokens[i] = text;
      types[i] = TOKEN_BYTE;
    } else if (spm && text === t.unkToken) {
      tokens[i] = text;
      types[i] = TOKEN_UNKNOWN;
    } else {
      tokens[i] = text;
      types[i] = TOKEN_NORMAL;
    }
  }
  return { tokens, types };
}
