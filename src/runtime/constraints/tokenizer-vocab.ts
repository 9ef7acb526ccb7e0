import type { ConstraintVocab } from "./token-trie.js";

/** What the adapter needs from a tokenizer (formats/tokenizer's Tokenizer has it). */
export interface TokenizerLike {
  readonly nTokens: number;
  tokenToPiece(id: number, special?: boolean): Uint8Array;
  isControl(id: number): boolean;
  readonly eogIds: number[];
}

const cache = new WeakMap<TokenizerLike, ConstraintVocab>();

/**
 * A tokenizer seen as a constraint vocabulary: control tokens are special, end-of-generation ids
 * end the value. One object per tokenizer, so the token trie is built once per vocabulary.
 */
export function constraintVocabOf(tok: TokenizerLike): ConstraintVocab {
  let v = cache.get(tok);
  if (!v) {
    v = {
      size: tok.nTokens,
      piece: (id) => tok.tokenToPiece(id, true),
      isSpecial: (id) => tok.isControl(id),
      eogIds: tok.eogIds,
    };
    cache.set(tok, v);
  }
  return v;
}
