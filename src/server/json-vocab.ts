import type { Tokenizer } from "../formats/tokenizer/index.js";
import type { ConstraintVocab } from "../runtime/constraints/index.js";

/** A tokenizer seen as the vocabulary JSON-constrained decoding masks over (build once per model). */
export function constraintVocab(tokenizer: Tokenizer): ConstraintVocab {
  return {
    size: tokenizer.nTokens,
    piece: (id) => tokenizer.tokenToPiece(id, true),
    isSpecial: (id) => tokenizer.isControl(id),
    eogIds: tokenizer.eogIds,
  };
}
