import { symbolByte } from "./byte-level.js";
import { ATTR_BYTE, ATTR_CONTROL, ATTR_NORMAL, ATTR_UNKNOWN, ATTR_USER_DEFINED } from "./token-attrs.js";
import { utf8Encode } from "./unicode.js";

/**
 * The bytes of a token as llama_token_to_piece(special = true) gives them: special and user-defined tokens
 * as their text, normal tokens decoded from the byte-level alphabet, byte tokens (<0xAB>) as their byte,
 * anything else (unused, undefined) as nothing.
 */
export function pieceBytes(text: string, attr: number): Uint8Array {
  if (attr & (ATTR_UNKNOWN | ATTR_CONTROL | ATTR_USER_DEFINED)) return utf8Encode(text);
  if (attr & ATTR_NORMAL) return decodeByteLevel(text);
  if (attr & ATTR_BYTE) return Uint8Array.of(parseInt(text.slice(3, 5), 16) & 0xff);
  return new Uint8Array(0);
}

/** llama_decode_text: each char back to its byte; a char outside the alphabet is spelled out as llama.cpp does. */
function decodeByteLevel(text: string): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const b = symbolByte(ch.codePointAt(0)!);
    if (b !== undefined) { out.push(b); continue; }
    const hex = Array.from(utf8Encode(ch), (x) => x.toString(16).padStart(2, "0")).join("");
    for (const x of utf8Encode(`[UNK_BYTE_0x${hex}${text}]`)) out.push(x);
  }
  return Uint8Array.from(out);
}
