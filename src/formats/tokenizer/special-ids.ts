import type { GGUFMetadata } from "../gguf/reader.js";

/** Ids of the vocabulary's special tokens (null when the vocabulary has none). */
export interface SpecialIds {
  bos: number | null;
  eos: number | null;
  eot: number | null;
  eom: number | null;
  unk: number | null;
  sep: number | null;
  pad: number | null;
  mask: number | null;
  fimPre: number | null;
  fimSuf: number | null;
  fimMid: number | null;
  fimPad: number | null;
  fimRep: number | null;
  fimSep: number | null;
}

type Key = keyof SpecialIds;

// GGUF keys, in the order llama.cpp reads them (the deprecated prefix/suffix/middle keys come last and win).
const KEYS: readonly [Key, string][] = [
  ["bos", "tokenizer.ggml.bos_token_id"],
  ["eos", "tokenizer.ggml.eos_token_id"],
  ["eot", "tokenizer.ggml.eot_token_id"],
  ["eom", "tokenizer.ggml.eom_token_id"],
  ["unk", "tokenizer.ggml.unknown_token_id"],
  ["sep", "tokenizer.ggml.seperator_token_id"], // sic: llama.cpp's spelling
  ["pad", "tokenizer.ggml.padding_token_id"],
  ["mask", "tokenizer.ggml.mask_token_id"],
  ["fimPre", "tokenizer.ggml.fim_pre_token_id"],
  ["fimSuf", "tokenizer.ggml.fim_suf_token_id"],
  ["fimMid", "tokenizer.ggml.fim_mid_token_id"],
  ["fimPad", "tokenizer.ggml.fim_pad_token_id"],
  ["fimRep", "tokenizer.ggml.fim_rep_token_id"],
  ["fimSep", "tokenizer.ggml.fim_sep_token_id"],
  ["fimPre", "tokenizer.ggml.prefix_token_id"],
  ["fimSuf", "tokenizer.ggml.suffix_token_id"],
  ["fimMid", "tokenizer.ggml.middle_token_id"],
];

/** Special ids from metadata over the byte-level BPE defaults (bos = eos = 11); out-of-range ids are ignored. */
export function readSpecialIds(meta: GGUFMetadata, nTokens: number): SpecialIds {
  const ids: SpecialIds = {
    bos: 11, eos: 11, eot: null, eom: null, unk: null, sep: null, pad: null, mask: null,
    fimPre: null, fimSuf: null, fimMid: null, fimPad: null, fimRep: null, fimSep: null,
  };
  for (const [k, key] of KEYS) {
    const def = ids[k];
    if (def !== null && def >= nTokens) ids[k] = null;
    if (!meta.has(key)) continue;
    const v = meta.number(key);
    if (Number.isInteger(v) && v >= 0 && v < nTokens) ids[k] = v;
  }
  return ids;
}

/** Token texts llama.cpp recognises when the GGUF does not name these ids (first match in this order). */
export const GUESSED: Partial<Record<Key, readonly string[]>> = {
  eot: ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>",
    "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>"],
  eom: ["<|eom_id|>"],
  fimPre: ["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"],
  fimSuf: ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"],
  fimMid: ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"],
  fimPad: ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"],
  fimRep: ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"],
  fimSep: ["<|file_sep|>"],
};

/** Texts of tokens that end generation (besides eos/eot/eom and the FIM pad/repo/sep ids). */
export const EOG_TEXTS: ReadonlySet<string> = new Set([
  "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>",
  "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>",
  "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[",
]);
