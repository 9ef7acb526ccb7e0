import type { ConstraintVocab } from "../../src/runtime/constraints/token-trie.js";

const enc = new TextEncoder();

// Multi-byte tokens that cross JSON structure, cut UTF-8 characters, or start escapes.
const MULTI: (string | number[])[] = [
  '{"', '":', '",', '"}', '": "', '", "', "true", "false", "null", "  ", "\n  ", "\n", "}]", "]}", "},", "[{", '"]',
  "1.5e", "-0", "\\u", "\\ud83d", "\\ude00", '\\"', "é", [0xe4, 0xb8], [0xad, 0x22], [0xad], "中文", 'ab"cd', '"name',
  '"age": 1', "0000", "e+", "123", "red", '"red"', '"circle"', "kind", '": {', '": [', '"order"', "null,", "\t", "  \n",
  '"}]', "\\n", "\\", "\\\\", '"\\u00e9"', "😀", [0xf0, 0x9f], [0x98, 0x80], '{"value": ', ', "', "]]", "[[",
];

/**
 * A small vocabulary: ids 0-255 are the bytes, then multi-byte tokens, then an empty token, then
 * special tokens (<|im_start|> is special, <|im_end|> and <|endoftext|> end generation).
 */
export function toyVocab(): ConstraintVocab & { pieces: Uint8Array[]; multi: number[]; specials: number[] } {
  const pieces: Uint8Array[] = [];
  for (let b = 0; b < 256; b++) pieces.push(new Uint8Array([b]));
  const multi: number[] = [];
  for (const m of MULTI) { multi.push(pieces.length); pieces.push(typeof m === "string" ? enc.encode(m) : new Uint8Array(m)); }
  pieces.push(new Uint8Array(0));
  const first = pieces.length;
  for (const s of ["<|im_start|>", "<|im_end|>", "<|endoftext|>"]) pieces.push(enc.encode(s));
  return {
    size: pieces.length,
    pieces,
    multi,
    specials: [first, first + 1, first + 2],
    piece: (id) => pieces[id],
    isSpecial: (id) => id >= first,
    eogIds: [first + 1, first + 2],
  };
}
