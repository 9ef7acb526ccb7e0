import { UserError } from "../../errors.js";

/**
 * The `tokenizer.ggml.pre` name for a `tokenizer.json` pre-tokenizer. llama.cpp's converter finds it
 * by hashing the tokens of a test string; here it is read from the split regex itself, which is what
 * that hash stands for. Known: Qwen2/Qwen3 ("qwen2"), Qwen3.5 ("qwen35"), Llama-3 ("llama-bpe", or
 * "smaug-bpe" when the BPE model does not skip merges for whole-vocabulary words), plain GPT-2.
 */

const CONTRACTIONS_CI = "(?i:'s|'t|'re|'ve|'m|'ll|'d)";
const CONTRACTIONS_CLASSES = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
const TAIL = "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const TAIL_M = "| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const QWEN2 = "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}" + TAIL;
const LLAMA3 = "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}" + TAIL;
const QWEN35 = "|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}" + TAIL_M;

/** Split regex (either contraction spelling) → name; Llama-3's depends on `ignore_merges`. */
const BY_REGEX = new Map<string, (ignoreMerges: boolean) => string>();
for (const c of [CONTRACTIONS_CI, CONTRACTIONS_CLASSES]) {
  BY_REGEX.set(c + QWEN2, () => "qwen2");
  BY_REGEX.set(c + QWEN35, () => "qwen35");
  BY_REGEX.set(c + LLAMA3, (ignoreMerges) => (ignoreMerges ? "llama-bpe" : "smaug-bpe"));
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function flatten(p: unknown): Json[] {
  if (!isObject(p)) return [];
  if (p.type === "Sequence" && Array.isArray(p.pretokenizers)) return p.pretokenizers.flatMap(flatten);
  return [p];
}

export function preTokenizerName(preTokenizer: unknown, decoder: unknown, ignoreMerges: boolean, where: string): string {
  const steps = flatten(preTokenizer);
  const byteLevel = steps.filter((s) => s.type === "ByteLevel");
  const decodesBytes = flatten(decoder).some((d) => d.type === "ByteLevel") || (isObject(decoder) && decoder.type === "ByteLevel");
  if (byteLevel.length === 0 && !decodesBytes) {
    throw new UserError("unsupported", `${where}: not a byte-level BPE tokenizer (no ByteLevel pre-tokenizer or decoder); only GPT-2-style byte-level BPE is supported`);
  }
  const others = steps.filter((s) => s.type !== "ByteLevel");
  if (others.length === 0) {
    if (byteLevel.some((b) => b.use_regex !== false)) return "gpt-2";
    throw new UserError("unsupported", `${where}: a ByteLevel pre-tokenizer without a split regex is not supported`);
  }
  const split = others[0];
  const regex = isObject(split.pattern) ? split.pattern.Regex : undefined;
  if (others.length === 1 && split.type === "Split" && typeof regex === "string" && split.behavior === "Isolated" && split.invert !== true) {
    const name = BY_REGEX.get(regex);
    if (name) return name(ignoreMerges);
    throw new UserError("unsupported", `${where}: pre-tokenizer regex ${JSON.stringify(regex)} is not one of the known ones (Qwen2/3, Qwen3.5, Llama-3, GPT-2)`);
  }
  const kinds = others.map((s) => String(s.type)).join(", ");
  throw new UserError("unsupported", `${where}: pre-tokenizer steps [${kinds}] are not supported (expected one Split regex and ByteLevel)`);
}
