import { ATTR_CONTROL, ATTR_LSTRIP, ATTR_RSTRIP, ATTR_UNKNOWN } from "./token-attrs.js";

/** A piece of input: raw text still to be tokenized, or a special token id found in it. */
export type Fragment = string | number;

// C isspace: the only whitespace llama.cpp strips around lstrip/rstrip tokens
const isCSpace = (ch: string) => ch === " " || ch === "\t" || ch === "\n" || ch === "\v" || ch === "\f" || ch === "\r";

/**
 * llama.cpp's tokenizer_st_partition: for each special token, longest first, every raw-text fragment is
 * split at each occurrence of its text. Control and unknown tokens are matched only with `parseSpecial`;
 * user-defined tokens always are (like HF's added tokens).
 */
export function partitionSpecial(
  text: string,
  specialTokens: readonly number[],
  tokens: readonly string[],
  attrs: Uint16Array,
  parseSpecial: boolean,
): Fragment[] {
  if (text.length === 0) return [];
  let fragments: Fragment[] = [text];
  for (const id of specialTokens) {
    const attr = attrs[id];
    if (!parseSpecial && attr & (ATTR_CONTROL | ATTR_UNKNOWN)) continue;
    const needle = tokens[id];
    let changed = false;
    const next: Fragment[] = [];
    for (const frag of fragments) {
      if (typeof frag !== "string" || !frag.includes(needle)) { next.push(frag); continue; }
      changed = true;
      let from = 0;
      for (let at = frag.indexOf(needle); at >= 0; at = frag.indexOf(needle, from)) {
        let leftEnd = at;
        if (attr & ATTR_LSTRIP) while (leftEnd > from && isCSpace(frag[leftEnd - 1])) leftEnd--;
        if (leftEnd > from) next.push(frag.slice(from, leftEnd));
        next.push(id);
        from = at + needle.length;
        if (attr & ATTR_RSTRIP) while (from < frag.length && isCSpace(frag[from])) from++;
      }
      if (from < frag.length) next.push(frag.slice(from));
    }
    if (changed) fragments = next;
  }
  return fragments;
}
