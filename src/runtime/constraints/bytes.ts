/** Byte classes of JSON text (RFC 8259) and UTF-8 (RFC 3629). */

export const QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c, COLON = 0x3a;
export const LBRACE = 0x7b, RBRACE = 0x7d, LBRACKET = 0x5b, RBRACKET = 0x5d;
export const MINUS = 0x2d, PLUS = 0x2b, DOT = 0x2e, ZERO = 0x30, NINE = 0x39;

export function isWs(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

export function isDigit(b: number): boolean {
  return b >= ZERO && b <= NINE;
}

export function hexValue(b: number): number {
  if (b >= ZERO && b <= NINE) return b - ZERO;
  const l = b | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

/** Bytes that may follow a backslash as a one-character escape: " \ / b f n r t. */
export function isSimpleEscape(b: number): boolean {
  return b === QUOTE || b === BACKSLASH || b === 0x2f || b === 0x62 || b === 0x66 || b === 0x6e || b === 0x72 || b === 0x74;
}

/**
 * For a UTF-8 lead byte of a multi-byte character: continuation bytes still needed and the range of
 * the first one (the narrower ranges exclude overlong forms, surrogates and code points > U+10FFFF),
 * packed as need | lo << 8 | hi << 16; -1 for a byte that cannot start a character.
 */
export function utf8Lead(b: number): number {
  if (b >= 0xc2 && b <= 0xdf) return pack(1, 0x80, 0xbf);
  if (b === 0xe0) return pack(2, 0xa0, 0xbf);
  if (b === 0xed) return pack(2, 0x80, 0x9f);
  if (b >= 0xe1 && b <= 0xef) return pack(2, 0x80, 0xbf);
  if (b === 0xf0) return pack(3, 0x90, 0xbf);
  if (b >= 0xf1 && b <= 0xf3) return pack(3, 0x80, 0xbf);
  if (b === 0xf4) return pack(3, 0x80, 0x8f);
  return -1;
}

function pack(need: number, lo: number, hi: number): number {
  return need | (lo << 8) | (hi << 16);
}
