import { UserError } from "../../errors.js";
import { RegexSplitter } from "./split-regex.js";
import { splitGpt2 } from "./split-gpt2.js";
import { splitLlama3 } from "./split-llama3.js";

/** Splits code points [start, end) and appends the piece lengths. */
type SplitStep = (cpts: readonly number[], start: number, end: number, out: number[]) => void;

/** How a `tokenizer.ggml.pre` name behaves in llama.cpp (llama-vocab.cpp). */
export interface PreTokenizer {
  readonly name: string;
  /** Applied in order; each step re-splits every piece of the previous one. */
  readonly steps: readonly SplitStep[];
  /** A whole pre-token found in the vocabulary is used as is, without merges. */
  readonly ignoreMerges: boolean;
  /** llama_detokenize's clean-up of spaces before punctuation and contractions. */
  readonly cleanSpaces: boolean;
  /** add_bos default when the GGUF does not say. */
  readonly addBos: boolean;
}

const regex = (pattern: string): SplitStep => {
  const r = new RegexSplitter(pattern);
  return (cpts, start, end, out) => r.split(cpts, start, end, out);
};

const QWEN2 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN35 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

interface Family {
  readonly names: readonly string[];
  readonly steps: () => SplitStep[];
  readonly ignoreMerges?: boolean;
  readonly cleanSpaces?: boolean;
  readonly addBos?: boolean;
}

const FAMILIES: readonly Family[] = [
  {
    names: ["llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano"],
    steps: () => [splitLlama3], ignoreMerges: true, addBos: true,
  },
  { names: ["dbrx", "smaug-bpe"], steps: () => [splitLlama3] },
  { names: ["qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2"], steps: () => [regex(QWEN2)], cleanSpaces: false },
  { names: ["megrez", "stablelm2"], steps: () => [regex(QWEN2)] },
  { names: ["qwen35"], steps: () => [regex(QWEN35)], cleanSpaces: false },
  {
    names: ["gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
      "modern-bert", "mpt", "olmo", "jais", "exaone4"],
    steps: () => [splitGpt2],
  },
  { names: ["starcoder", "refact", "codeshell", "exaone", "minerva-7b", "mellum2"], steps: () => [regex("\\p{N}"), splitGpt2] },
  { names: ["command-r", "smollm"], steps: () => [regex("\\p{N}"), splitGpt2], cleanSpaces: false },
  {
    names: ["default"],
    steps: () => [regex("[\\p{P}\\$\\+<=>\\^~\\|]+"), splitGpt2, regex("\\p{N}+"), regex("[0-9][0-9][0-9]")],
  },
];

const cache = new Map<string, PreTokenizer>();

/** The pre-tokenizer llama.cpp uses for a `tokenizer.ggml.pre` value (missing means "default"). */
export function preTokenizerFor(name: string | undefined, file: string): PreTokenizer {
  const key = name === undefined || name === "" ? "default" : name;
  const hit = cache.get(key);
  if (hit) return hit;
  const family = FAMILIES.find((f) => f.names.includes(key));
  if (!family) {
    throw new UserError("unsupported", `${file}: pre-tokenizer "${key}" is not supported (supported: ${FAMILIES.flatMap((f) => f.names).join(", ")})`);
  }
  const pre: PreTokenizer = {
    name: key,
    steps: family.steps(),
    ignoreMerges: family.ignoreMerges ?? false,
    cleanSpaces: family.cleanSpaces ?? true,
    addBos: family.addBos ?? false,
  };
  cache.set(key, pre);
  return pre;
}

/** Splits a text fragment's code points into pre-token lengths. */
export function preTokenize(pre: PreTokenizer, cpts: readonly number[]): number[] {
  let lengths = [cpts.length];
  for (const step of pre.steps) {
    const next: number[] = [];
    let at = 0;
    for (const len of lengths) {
      step(cpts, at, at + len, next);
      at += len;
    }
    lengths = next;
  }
  return lengths;
}
