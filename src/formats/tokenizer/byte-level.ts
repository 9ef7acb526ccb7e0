/**
 * GPT-2's byte-level alphabet: every byte maps to one printable code point (printable Latin-1 bytes to
 * themselves, the other 68 bytes to U+0100 onwards), so byte-level BPE vocabularies are plain strings.
 */

const BYTE_TO_CHAR: string[] = new Array(256);
const CHAR_TO_BYTE = new Map<number, number>();

{
  const keepsItself = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const cpt = keepsItself(b) ? b : 256 + n++;
    BYTE_TO_CHAR[b] = String.fromCharCode(cpt);
    CHAR_TO_BYTE.set(cpt, b);
  }
}

/** The byte-level string of some UTF-8 bytes (one char per byte). */
export function bytesToSymbols(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += BYTE_TO_CHAR[bytes[i]];
  return s;
}

/** The char standing for one byte. */
export function byteSymbol(b: number): string {
  return BYTE_TO_CHAR[b];
}

/** The byte a code point stands for, or undefined when it is not part of the alphabet. */
export function symbolByte(cpt: number): number | undefined {
  return CHAR_TO_BYTE.get(cpt);
}
