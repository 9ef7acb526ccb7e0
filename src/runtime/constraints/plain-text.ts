import { BACKSLASH, QUOTE, utf8Lead } from "./bytes.js";

/**
 * The number of characters in `p` if it is plain string content — whole UTF-8 characters, none of
 * them a quote, a backslash or a control character — else -1. Inside a string such a piece only adds
 * characters, whatever the state around it.
 */
export function plainChars(p: Uint8Array): number {
  let chars = 0;
  for (let i = 0; i < p.length; chars++) {
    const b = p[i];
    if (b < 0x80) {
      if (b < 0x20 || b === QUOTE || b === BACKSLASH) return -1;
      i++;
      continue;
    }
    const lead = utf8Lead(b);
    if (lead < 0) return -1;
    const need = lead & 0xff;
    if (i + need >= p.length) return -1; // cut off: a partial character
    if (p[i + 1] < ((lead >> 8) & 0xff) || p[i + 1] > lead >> 16) return -1;
    for (let j = 2; j <= need; j++) if (p[i + j] < 0x80 || p[i + j] > 0xbf) return -1;
    i += need + 1;
  }
  return chars;
}
