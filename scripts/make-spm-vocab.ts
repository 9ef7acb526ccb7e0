/**
 * Writes the small SentencePiece-style vocabularies (`tokenizer.ggml.model = "llama"`) behind the SPM tokenizer
 * goldens in test/fixtures/spm/. Deterministic: the same files byte for byte on every run.
 *
 *   node --import tsx scripts/make-spm-vocab.ts [--out test/fixtures/spm]
 *
 * The pieces come from a tiny BPE run over the corpus below (words carry SentencePiece's "▁" space mark),
 * laid out as a converted SentencePiece model is: <unk> <s> </s>, the 256 byte tokens <0x00>..<0xFF>, merged
 * pieces (score -rank, the later ones in tied buckets with fractional scores), single characters, then
 * MiniCPM-V style added tokens (control and user-defined, score -1000) and a few unused [PAD] tokens.
 * A handful of hand-picked pieces exercise llama.cpp quirks ("<s" and "</s" let text merge into control
 * tokens, runs of "▁", a user-defined token containing a space).
 *
 * Two vocab-only GGUFs (architecture "llama", hyper-parameters only, no tensors), same tokens:
 *   spm-vocab.gguf           defaults as MiniCPM's converted vocabulary: add_bos true, add_eos false, no
 *                            add_space_prefix key (llama.cpp: true), bos/eos/unk ids written
 *   spm-vocab-noprefix.gguf  add_space_prefix false, add_bos false, add_eos true, no special id keys
 *                            (llama.cpp's SPM defaults: unk 0, bos 1, eos 2)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeGGUF, type GGUFWriteEntry } from "../src/formats/gguf/writer.js";
import { GGUFValueType } from "../src/formats/gguf/types.js";
import { memorySink } from "../src/io/byte-sink.js";

const CORPUS = `
The quick brown fox jumps over the lazy dog. The dog sleeps in the sun, and the fox runs into the forest.
What is in the image? The image shows a red circle, two blue squares and a green triangle on a white table.
How many red circles are there? There are three red circles and one small yellow star in the picture.
Please describe the picture in detail. The picture is a photo of a cat sitting on a wooden chair near the window.
In 2024 the model was trained on 1024 images; in 2025 it saw 2048 more. Version 4.0 runs on your own device.
function add(a, b) { return a + b; }  // add two numbers
for (let i = 0; i < 10; i++) { console.log(i); }
It's a test, isn't it? We're sure they've done it. I'm here and you'll see what we'd say.
Hello world! Hello, world. hello WORLD. Tokenizers split text into pieces; pieces become numbers.
The sentence piece model marks spaces with a special character, so the first word gets a leading space too.
图片里有什么？图片里有一只猫。这张图片里有三个红色的圆。请详细描述这张图片。图片很清楚。
Привет, мир! Что на картинке? На картинке кошка и собака. Привет всем.
Bonjour le monde. Où est le chat? Le chat est sur la table. Voilà, c'est très bien.
the the the then there these those this that than thanks think thing things
in into inside is it its image images imagine pictures picture red reds
`;

const SPACE = "\u2581";

/** Counts SentencePiece-style words ("▁word") in the corpus. */
function words(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const w of text.split(/\s+/u)) {
    if (w === "") continue;
    const key = SPACE + w;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Plain BPE over the words: merged piece texts in merge order. */
function trainMerges(counts: Map<string, number>, nMerges: number): string[] {
  const ws = [...counts].map(([w, c]) => ({ syms: Array.from(w), c }));
  const merges: string[] = [];
  const have = new Set<string>();
  while (merges.length < nMerges) {
    const pairs = new Map<string, number>();
    for (const { syms, c } of ws) {
      for (let i = 0; i + 1 < syms.length; i++) {
        const k = syms[i] + "\u0000" + syms[i + 1];
        pairs.set(k, (pairs.get(k) ?? 0) + c);
      }
    }
    let best: string | undefined;
    let bestCount = 0;
    for (const [k, c] of pairs) {
      if (c > bestCount || (c === bestCount && best !== undefined && k < best)) { best = k; bestCount = c; }
    }
    if (best === undefined) break;
    const [l, r] = best.split("\u0000");
    const merged = l + r;
    for (const w of ws) {
      const out: string[] = [];
      for (let i = 0; i < w.syms.length; i++) {
        if (i + 1 < w.syms.length && w.syms[i] === l && w.syms[i + 1] === r) { out.push(merged); i++; } else out.push(w.syms[i]);
      }
      w.syms = out;
    }
    if (!have.has(merged)) { have.add(merged); merges.push(merged); }
  }
  return merges;
}

// token types as the GGUF stores them
const NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

interface Tok { text: string; score: number; type: number }

function buildVocab(): Tok[] {
  const toks: Tok[] = [
    { text: "<unk>", score: 0, type: UNKNOWN },
    { text: "<s>", score: 0, type: CONTROL },
    { text: "</s>", score: 0, type: CONTROL },
  ];
  for (let b = 0; b < 256; b++) {
    toks.push({ text: `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`, score: 0, type: BYTE });
  }
  const counts = words(CORPUS);
  const merged = trainMerges(counts, 320);
  // hand-picked pieces (llama.cpp quirks), inserted at fixed ranks
  const extra: [number, string][] = [
    [3, SPACE + SPACE], [40, SPACE + SPACE + SPACE + SPACE], [90, SPACE + SPACE + SPACE], [25, "<s"], [60, "</"],
    [61, "</s"], [120, "aa"], [121, "aaa"], [122, "ab"], [123, "ba"], [124, SPACE + "<"], [125, "><"],
  ];
  const pieces = [...merged];
  for (const [rank, p] of extra) if (!pieces.includes(p)) pieces.splice(rank, 0, p);
  pieces.forEach((p, r) => {
    // unique scores for the first 200 ranks, then buckets of three equal (fractional) scores
    const score = r < 200 ? -r : -(200 + Math.floor((r - 200) / 3)) - 0.375;
    toks.push({ text: p, score, type: NORMAL });
  });
  // single characters seen at least twice (the rest falls back to bytes), most frequent first
  const chars = new Map<string, number>();
  for (const [w, c] of counts) for (const ch of w) chars.set(ch, (chars.get(ch) ?? 0) + c);
  chars.set("a", 99); chars.set("b", 99); chars.set("<", 99); chars.set(">", 99); chars.set("/", 99);
  const single = [...chars].filter(([ch, c]) => c >= 2 && !pieces.includes(ch))
    .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  single.forEach(([ch], j) => toks.push({ text: ch, score: -(pieces.length + j), type: NORMAL }));
  // added tokens: control ones as tokenizer_config "special": true, user-defined ones otherwise
  for (const t of ["<|im_start|>", "<|im_end|>", "<image>", "</image>", "<slice>", "</slice>", "<unused0>"]) {
    toks.push({ text: t, score: -1000, type: CONTROL });
  }
  for (const t of ["<ref>", "</ref>", "<box>", "New York"]) toks.push({ text: t, score: -1000, type: USER_DEFINED });
  for (let i = 0; i < 3; i++) toks.push({ text: `[PAD${toks.length}]`, score: -1000, type: UNUSED });
  const seen = new Set<string>();
  for (const t of toks) {
    if (seen.has(t.text)) throw new Error(`duplicate token ${JSON.stringify(t.text)}`);
    seen.add(t.text);
  }
  return toks;
}

const u32 = (key: string, value: number): GGUFWriteEntry => ({ key, type: GGUFValueType.UINT32, value });
const f32 = (key: string, value: number): GGUFWriteEntry => ({ key, type: GGUFValueType.FLOAT32, value });
const str = (key: string, value: string): GGUFWriteEntry => ({ key, type: GGUFValueType.STRING, value });
const bool = (key: string, value: boolean): GGUFWriteEntry => ({ key, type: GGUFValueType.BOOL, value });
const arr = (key: string, itemType: GGUFValueType, items: (string | number)[]): GGUFWriteEntry =>
  ({ key, type: GGUFValueType.ARRAY, value: { itemType, items } });

async function write(path: string, toks: Tok[], flags: GGUFWriteEntry[]): Promise<void> {
  const metadata: GGUFWriteEntry[] = [
    str("general.architecture", "llama"),
    str("general.name", "pocketvlm spm test vocab"),
    u32("llama.context_length", 512),
    u32("llama.embedding_length", 64),
    u32("llama.block_count", 1),
    u32("llama.feed_forward_length", 128),
    u32("llama.attention.head_count", 2),
    u32("llama.attention.head_count_kv", 2),
    f32("llama.attention.layer_norm_rms_epsilon", 1e-5),
    u32("llama.rope.dimension_count", 32),
    u32("llama.vocab_size", toks.length),
    str("tokenizer.ggml.model", "llama"),
    str("tokenizer.ggml.pre", "default"),
    arr("tokenizer.ggml.tokens", GGUFValueType.STRING, toks.map((t) => t.text)),
    arr("tokenizer.ggml.scores", GGUFValueType.FLOAT32, toks.map((t) => t.score)),
    arr("tokenizer.ggml.token_type", GGUFValueType.INT32, toks.map((t) => t.type)),
    ...flags,
  ];
  const sink = memorySink(path);
  await writeGGUF(sink, { metadata, tensors: [] });
  writeFileSync(path, sink.bytes());
  process.stderr.write(`${path}: ${toks.length} tokens, ${sink.size} bytes\n`);
}

const outIdx = process.argv.indexOf("--out");
const out = outIdx >= 0 ? process.argv[outIdx + 1] : "test/fixtures/spm";
mkdirSync(out, { recursive: true });
const toks = buildVocab();
await write(join(out, "spm-vocab.gguf"), toks, [
  u32("tokenizer.ggml.bos_token_id", 1),
  u32("tokenizer.ggml.eos_token_id", 2),
  u32("tokenizer.ggml.unknown_token_id", 0),
  bool("tokenizer.ggml.add_bos_token", true),
  bool("tokenizer.ggml.add_eos_token", false),
]);
await write(join(out, "spm-vocab-noprefix.gguf"), toks, [
  bool("tokenizer.ggml.add_space_prefix", false),
  bool("tokenizer.ggml.add_bos_token", false),
  bool("tokenizer.ggml.add_eos_token", true),
]);
