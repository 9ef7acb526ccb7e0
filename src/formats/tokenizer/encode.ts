import { bpeMerge } from "./bpe.js";
import { bytesToSymbols } from "./byte-level.js";
import { preTokenize } from "./pre-tokenizers.js";
import { codePoints, utf8Encode } from "./unicode.js";
import type { Vocab } from "./vocab.js";

const WORD_CACHE_LIMIT = 1 << 16;

/** Byte-level BPE of raw text (no special tokens in it), with a cache of words already seen. */
export class BpeEncoder {
  private readonly cache = new Map<string, readonly number[]>();

  constructor(private readonly vocab: Vocab) {}

  encode(text: string, out: number[]): void {
    const cpts = codePoints(text);
    const lengths = preTokenize(this.vocab.pre, cpts);
    let at = 0; // in code points
    let unit = 0; // the same place in UTF-16 units
    for (const len of lengths) {
      const from = unit;
      for (const end = at + len; at < end; at++) unit += cpts[at] > 0xffff ? 2 : 1;
      const word = bytesToSymbols(utf8Encode(text.slice(from, unit)));
      for (const id of this.word(word)) out.push(id);
    }
  }

  private word(word: string): readonly number[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    const ids = this.merge(word);
    if (this.cache.size >= WORD_CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, ids);
    return ids;
  }

  private merge(word: string): number[] {
    const { ids, ranks, pre } = this.vocab;
    if (pre.ignoreMerges) {
      const whole = ids.get(word);
      if (whole !== undefined) return [whole];
    }
    const out: number[] = [];
    for (const sym of bpeMerge(word, ranks)) {
      const id = ids.get(sym);
      if (id !== undefined) { out.push(id); continue; }
      // llama.cpp's fallback looks up each UTF-8 byte of the symbol as a one-byte token text
      for (const b of utf8Encode(sym)) {
        const byteId = b < 0x80 ? ids.get(String.fromCharCode(b)) : undefined;
        if (byteId !== undefined) out.push(byteId);
      }
    }
    return out;
  }
}
