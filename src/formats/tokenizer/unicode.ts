/**
 * Code point classes as llama.cpp's unicode tables define them (one general category per code point,
 * White_Space as a separate bit), computed lazily from the JS engine's Unicode data.
 */

export const CPT_UNDEFINED = 0x01; // unassigned (Cn)
export const CPT_NUMBER = 0x02; // \p{N}
export const CPT_LETTER = 0x04; // \p{L}
export const CPT_SEPARATOR = 0x08; // \p{Z}
export const CPT_ACCENT_MARK = 0x10; // \p{M}
export const CPT_PUNCTUATION = 0x20; // \p{P}
export const CPT_SYMBOL = 0x40; // \p{S}
export const CPT_CONTROL = 0x80; // \p{C} without Cn
export const CPT_WHITESPACE = 0x100; // White_Space property
export const CPT_CATEGORY_MASK = 0xff;

const CLASSES: readonly [RegExp, number][] = [
  [/\p{N}/u, CPT_NUMBER],
  [/\p{L}/u, CPT_LETTER],
  [/\p{Z}/u, CPT_SEPARATOR],
  [/\p{M}/u, CPT_ACCENT_MARK],
  [/\p{P}/u, CPT_PUNCTUATION],
  [/\p{S}/u, CPT_SYMBOL],
  [/[\p{Cc}\p{Cf}\p{Cs}\p{Co}]/u, CPT_CONTROL],
];
const WHITE_SPACE = /\p{White_Space}/u;

// 0 = not computed yet; every computed entry has at least one bit set.
const table = new Uint16Array(0x110000);

function compute(cpt: number): number {
  const ch = String.fromCodePoint(cpt);
  let flags = CPT_UNDEFINED;
  for (const [re, bit] of CLASSES) {
    if (re.test(ch)) { flags = bit; break; }
  }
  if (WHITE_SPACE.test(ch)) flags |= CPT_WHITESPACE;
  return flags;
}

/** Category and whitespace bits of a code point; 0 for values outside Unicode. */
export function cptFlags(cpt: number): number {
  if (cpt < 0 || cpt >= 0x110000) return 0;
  const f = table[cpt];
  if (f !== 0) return f;
  return (table[cpt] = compute(cpt));
}

/** Simple one-to-one lowercase mapping (first code point of the full mapping, like Python's lower()[0]). */
export function cptToLower(cpt: number): number {
  if (cpt < 0x80) return cpt >= 0x41 && cpt <= 0x5a ? cpt + 32 : cpt;
  if (cpt >= 0x110000) return cpt;
  return String.fromCodePoint(cpt).toLowerCase().codePointAt(0) ?? cpt;
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });
const lossyDecoder = new TextDecoder("utf-8");

export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Valid UTF-8 as text, or null. */
export function utf8DecodeStrict(bytes: Uint8Array): string | null {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return null;
  }
}

export function utf8DecodeLossy(bytes: Uint8Array): string {
  return lossyDecoder.decode(bytes);
}

/** Replaces lone surrogates with U+FFFD, as the text would arrive after UTF-8 encoding. */
export function wellFormed(text: string): string {
  return /\p{Cs}/u.test(text) ? lossyDecoder.decode(encoder.encode(text)) : text;
}

/** The code points of a (well-formed) string. */
export function codePoints(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.codePointAt(i)!;
    out.push(c);
    if (c > 0xffff) i++;
  }
  return out;
}
