/**
 * A minimal, valid byte-level BPE tokenizer for synthetic models, so llama.cpp (llama-bench) and our
 * own loader accept the file: `tokenizer.ggml.model = gpt2`, pre-tokenizer `default`, the 256 byte
 * tokens (GPT-2's byte-to-unicode alphabet), a few merges, filler tokens up to the vocabulary size,
 * and BOS/EOS as control tokens at the end.
 */
import type { GGUFWriteEntry } from "../src/formats/gguf/writer.js";
import { GGUFValueType as T } from "../src/formats/gguf/types.js";

/** GPT-2's `bytes_to_unicode`: printable bytes map to themselves, the rest to U+0100 onwards. */
export function byteTokens(): string[] {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) out.push(String.fromCodePoint(printable(b) ? b : 256 + extra++));
  return out;
}

const MERGES: readonly [string, string][] = [["Ġ", "t"], ["h", "e"], ["i", "n"], ["Ġt", "he"], ["e", "r"], ["Ġ", "a"]];

export function tokenizerMetadata(nVocab: number): GGUFWriteEntry[] {
  const tokens = byteTokens();
  for (const [a, b] of MERGES) tokens.push(a + b);
  const nFixed = tokens.length + 2;
  if (nVocab < nFixed) throw new Error(`vocabulary of ${nVocab} is too small for the synthetic tokenizer (needs ${nFixed})`);
  for (let i = tokens.length; i < nVocab - 2; i++) tokens.push(`[filler${i}]`);
  const bos = tokens.length;
  tokens.push("<s>");
  const eos = tokens.length;
  tokens.push("</s>");
  // llama_token_type: NORMAL = 1, CONTROL = 3
  const types = tokens.map((_, i) => (i === bos || i === eos ? 3 : 1));
  return [
    { key: "tokenizer.ggml.model", type: T.STRING, value: "gpt2" },
    { key: "tokenizer.ggml.pre", type: T.STRING, value: "default" },
    { key: "tokenizer.ggml.tokens", type: T.ARRAY, value: { itemType: T.STRING, items: tokens } },
    { key: "tokenizer.ggml.token_type", type: T.ARRAY, value: { itemType: T.INT32, items: types } },
    { key: "tokenizer.ggml.merges", type: T.ARRAY, value: { itemType: T.STRING, items: MERGES.map(([a, b]) => `${a} ${b}`) } },
    { key: "tokenizer.ggml.bos_token_id", type: T.UINT32, value: bos },
    { key: "tokenizer.ggml.eos_token_id", type: T.UINT32, value: eos },
    { key: "tokenizer.ggml.add_bos_token", type: T.BOOL, value: true },
  ];
}
