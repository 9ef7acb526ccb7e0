import type { ConstraintVocab } from "../../src/runtime/constraints/token-trie.js";
import { Rng } from "../../src/runtime/rng.js";

/**
 * A made-up vocabulary shaped like a byte-level BPE one (Qwen/Llama-3 style): the 256 bytes, word
 * pieces with and without a leading space, numbers, punctuation and JSON-ish runs (`{"`, `":`, `",`),
 * whitespace runs, CJK words, partial UTF-8 pieces, and special tokens at the end (the last is EOG).
 */
export function syntheticVocab(size: number, seed = 1): ConstraintVocab & { pieces: Uint8Array[] } {
  const rng = new Rng(seed);
  const int = (n: number) => Math.floor(rng.next() * n);
  const enc = new TextEncoder();
  const seen = new Set<string>();
  const pieces: Uint8Array[] = [];
  const add = (p: Uint8Array) => {
    const k = String.fromCharCode(...p);
    if (seen.has(k) || p.length === 0) return;
    seen.add(k);
    pieces.push(p);
  };
  for (let b = 0; b < 256; b++) add(new Uint8Array([b]));
  const specials = 64;
  const target = size - specials;
  const letters = "abcdefghijklmnopqrstuvwxyz";
  const punct = `{}[]":,.;()=<>-_/\\'!?*#@&|+`;
  const word = (n: number) => Array.from({ length: n }, () => letters[int(26)]).join("");
  const cjk = () => String.fromCodePoint(0x4e00 + int(0x5000));
  for (const s of ['{"', '":', '",', '"}', '":"', '" :', ' "', '\\"', "\\n", '"]', '},', '}}', '[{', '"},', '":[', '":{', '": "', '", "', "null", "true", "false", "\":true", "\"\n"]) add(enc.encode(s));
  for (let n = 1; n <= 16; n++) { add(enc.encode(" ".repeat(n))); add(enc.encode("\n" + " ".repeat(n))); add(enc.encode("\t".repeat(Math.min(n, 4)))); }
  for (let n = 0; n < 1000; n++) add(enc.encode(String(n)));
  while (pieces.length < target) {
    const r = rng.next();
    if (r < 0.62) { const w = word(1 + int(9)); add(enc.encode((rng.next() < 0.5 ? " " : "") + (rng.next() < 0.15 ? w[0].toUpperCase() + w.slice(1) : w))); }
    else if (r < 0.7) add(enc.encode(Array.from({ length: 2 + int(3) }, () => punct[int(punct.length)]).join("")));
    else if (r < 0.9) add(enc.encode((rng.next() < 0.2 ? " " : "") + Array.from({ length: 1 + int(3) }, cjk).join("")));
    else if (r < 0.96) { const c = enc.encode(cjk()); add(rng.next() < 0.5 ? c.subarray(0, 2) : c.subarray(1)); }
    else add(enc.encode(word(1 + int(4)) + punct[int(punct.length)] + word(1 + int(3))));
  }
  const eog = size - 1;
  return {
    size,
    pieces,
    piece: (id) => (id < pieces.length ? pieces[id] : enc.encode(`<|special_${id}|>`)),
    isSpecial: (id) => id >= pieces.length,
    eogIds: [eog],
  };
}
