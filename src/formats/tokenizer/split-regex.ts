import {
  CPT_ACCENT_MARK, CPT_CATEGORY_MASK, CPT_LETTER, CPT_NUMBER, CPT_PUNCTUATION, CPT_SYMBOL, CPT_WHITESPACE, cptFlags,
} from "./unicode.js";

/**
 * A pre-tokenizer regex run the way llama.cpp runs the ones it has no hand-written splitter for: every
 * non-ASCII code point is collapsed to one stand-in char for its category (0xD1 number, 0xD2 letter,
 * 0xD3 punctuation, 0xD4 mark, 0xD5 symbol, 0xD0 other, \v for whitespace) and `\p{..}` in the pattern
 * becomes a class of that stand-in plus the ASCII members. Matching the collapsed text with an ECMAScript
 * regex reproduces llama.cpp's std::regex result exactly, including where it differs from a true
 * Unicode-aware regex.
 */

const STAND_IN: Record<number, number> = {
  [CPT_NUMBER]: 0xd1, [CPT_LETTER]: 0xd2, [CPT_PUNCTUATION]: 0xd3, [CPT_ACCENT_MARK]: 0xd4, [CPT_SYMBOL]: 0xd5,
};
const OTHER = 0xd0;
const VTAB = 0x0b;

// Class contents per category: the stand-in, then the ASCII members (as llama.cpp lists them; '~' is
// missing from its symbol list).
const CLASS_OF: Record<string, string> = {
  N: "\\xD10-9",
  L: "\\xD2A-Za-z", Lu: "\\xD2A-Za-z", Ll: "\\xD2A-Za-z", Lt: "\\xD2A-Za-z", Lm: "\\xD2A-Za-z", Lo: "\\xD2A-Za-z",
  P: "\\xD3!-#%-*,-/:-;?-@\\[-\\]_\\{\\}",
  M: "\\xD4",
  S: "\\xD5\\$\\+<->\\^`\\|",
};

/** Rewrites `\p{X}` (outside or inside a class) to the collapsed alphabet. */
export function collapsePattern(pattern: string): string {
  let out = "";
  let inside = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "\\" && pattern[i + 1] !== "p") { // keep other escapes whole
      out += ch + (pattern[i + 1] ?? "");
      i++;
      continue;
    }
    if (ch === "[" && !inside) { inside = true; out += ch; continue; }
    if (ch === "]" && inside) { inside = false; out += ch; continue; }
    if (ch === "\\" && pattern[i + 1] === "p" && pattern[i + 2] === "{") {
      const close = pattern.indexOf("}", i + 3);
      const cls = close > 0 ? CLASS_OF[pattern.slice(i + 3, close)] : undefined;
      if (cls === undefined) throw new Error(`unsupported category in pre-tokenizer pattern: ${pattern.slice(i, close + 1)}`);
      out += inside ? cls : `[${cls}]`;
      i = close;
      continue;
    }
    out += ch;
  }
  return out;
}

/** One char per code point: ASCII kept, the rest replaced by its category's stand-in. */
export function collapseText(cpts: readonly number[], start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) {
    const c = cpts[i];
    if (c < 0x80) { s += String.fromCharCode(c); continue; }
    const f = cptFlags(c);
    s += String.fromCharCode(f & CPT_WHITESPACE ? VTAB : STAND_IN[f & CPT_CATEGORY_MASK] ?? OTHER);
  }
  return s;
}

export class RegexSplitter {
  private readonly re: RegExp;

  constructor(pattern: string) {
    this.re = new RegExp(collapsePattern(pattern), "g");
  }

  /** Appends the lengths of the matches and of the unmatched runs between them. */
  split(cpts: readonly number[], start: number, end: number, out: number[]): void {
    const text = collapseText(cpts, start, end);
    const re = this.re;
    re.lastIndex = 0;
    let at = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      if (m[0].length === 0) { re.lastIndex++; continue; } // none of the patterns match empty; be safe
      if (m.index > at) out.push(m.index - at);
      out.push(m[0].length);
      at = m.index + m[0].length;
    }
    if (at < text.length) out.push(text.length - at);
  }
}
