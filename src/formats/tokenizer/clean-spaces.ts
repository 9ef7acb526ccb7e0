const SPACE = 0x20, APOS = 0x27;
const ch = (s: string) => s.charCodeAt(0);

/**
 * llama_detokenize's clean-up for vocabularies with clean_spaces (HF clean_up_tokenization_spaces), done
 * in place on bytes exactly as llama.cpp does it, quirks included:
 *   " ?" " !" " ." " ,"  -> no space;  " ' " -> "'";  " 's" " 'm" " 're" " 've" -> no space.
 * Returns the new length.
 */
export function cleanSpaces(t: Uint8Array, len: number): number {
  // pass 1: space before ? ! . ,
  let total = len ? 1 : 0;
  for (let i = 1; i < len; i++) {
    const x = t[i];
    if (t[i - 1] === SPACE && (x === ch("?") || x === ch("!") || x === ch(".") || x === ch(","))) total--;
    t[total++] = x;
  }
  // pass 2: an apostrophe between two spaces loses both
  const len2 = total;
  total = len2 ? 1 : 0;
  for (let i = 1; i < len2; i++) {
    const x = t[i];
    if (x === APOS && i + 1 < len2 && t[i - 1] === SPACE && t[i + 1] === SPACE) {
      total--;
      t[++i] = 0; // the next space is skipped; zeroing it matters for the next comparison, as in llama.cpp
    }
    t[total++] = x;
  }
  // pass 3: contractions
  const len3 = total;
  total = len3 ? 1 : 0;
  for (let i = 1; i < len3; i++) {
    const x = t[i];
    if (t[i - 1] === SPACE && x === APOS && i + 1 < len3) {
      const x1 = t[i + 1];
      if (x1 === ch("s") || x1 === ch("m")) total--;
      else if (i + 2 < len3) {
        const x2 = t[i + 2];
        if ((x1 === ch("r") && x2 === ch("e")) || (x1 === ch("v") && x2 === ch("e"))) total--;
      }
    }
    t[total++] = x;
  }
  return total;
}
