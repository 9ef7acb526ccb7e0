// One-off research tool: builds the small SentencePiece-style Hugging Face tokenizer folders under
// test/fixtures/hf/spm-bpe/ and records their goldens from a reference implementation of the Hugging Face
// `tokenizers` pipeline. Not product code; nothing here is imported by src/ or test/.
//
// How it was run (the reference package is installed outside the repository, in a scratch folder):
//
//   mkdir -p /tmp/hfref && cd /tmp/hfref && npm init -y && npm install @huggingface/tokenizers@0.2.0
//   cd /work/main && node tools/hf-spm-tokenizer/make_goldens.mjs \
//     --ref /tmp/hfref/node_modules/@huggingface/tokenizers/dist/tokenizers.mjs --out test/fixtures/hf/spm-bpe
//
// Reference: @huggingface/tokenizers 0.2.0 (tokenizers.js, the tokenizer core of transformers.js 4), the only
// implementation of the `tokenizers` pipeline this machine can install (no PyPI: neither `tokenizers` nor
// `transformers` nor `sentencepiece` for Python). Its `Tokenizer(tokenizer.json, tokenizer_config.json)`:
//   encode(text, { add_special_tokens })            -> ids            (special tokens in the text are split out)
//   decode(ids, { skip_special_tokens })            -> text
// Where tokenizers.js differs from the Rust `tokenizers` library the fixtures stay on common ground (see
// test/fixtures/hf/spm-bpe/README.md): added tokens have no single_word, Metaspace has split = false, the
// decoders are Replace/ByteFallback/Fuse/Strip, clean_up_tokenization_spaces is false, and decode cases hold no
// invalid UTF-8 runs of more than one byte. Rust's `encode_special_tokens = true` (special tokens in the text
// stay text; our parseSpecial: false) is reproduced by giving tokenizers.js the same tokenizer.json without the
// special added tokens (non-special added tokens are still split out; the model vocabulary is unchanged).
//
// The tokenizer files themselves are deterministic (same bytes on every run): a plain BPE over the corpus below
// with SentencePiece-style words ("▁word"), laid out as transformers converts a SentencePiece BPE model:
// <unk> <s> </s>, the 256 byte tokens <0x00>..<0xFF>, MiniCPM-V's user-defined pieces (<image> ... </image_id>),
// a few "▁" runs, the merged pieces, the single characters; added tokens <|im_start|> <|im_end|> <mask> (lstrip)
// past the model vocabulary, and two non-special ones, "<tool_call>" (not normalized) and "New York" (normalized:
// the Prepend normalizer makes its pattern "▁New▁York").
import { mkdirSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
if (!args.ref || !args.out) throw new Error("usage: make_goldens.mjs --ref <tokenizers.mjs of @huggingface/tokenizers> --out <dir>");
const { Tokenizer } = await import(args.ref);

const SP = "\u2581";
const CORPUS = `
The quick brown fox jumps over the lazy dog. The dog sleeps in the sun, and the fox runs into the forest.
What is in the image? The image shows a red circle, two blue squares and a green triangle on a white table.
How many red circles are there? There are three red circles and one small yellow star in the picture.
Please describe the picture in detail. The picture is a photo of a cat sitting on a wooden chair near the window.
In 2024 the model was trained on 1024 images; in 2025 it saw 2048 more. Version 4.0 runs on your own device.
function add(a, b) { return a + b; }  // add two numbers
It's a test, isn't it? We're sure they've done it. I'm here and you'll see what we'd say.
Hello world! Hello, world. hello WORLD. Tokenizers split text into pieces; pieces become numbers.
图片里有什么？图片里有一只猫。这张图片里有三个红色的圆。请详细描述这张图片。
Привет, мир! Что на картинке? На картинке кошка. Bonjour le monde. Où est le chat? Voilà, c'est très bien.
the the then there these this that think thing things in into is it its image images picture pictures New York
`;

function train(nMerges) {
  const counts = new Map();
  for (const w of CORPUS.split(/\s+/u)) if (w) counts.set(SP + w, (counts.get(SP + w) ?? 0) + 1);
  const words = [...counts].map(([w, c]) => ({ syms: Array.from(w), c }));
  const merges = [];
  while (merges.length < nMerges) {
    const pairs = new Map();
    for (const { syms, c } of words) for (let i = 0; i + 1 < syms.length; i++) {
      const k = syms[i] + "\u0000" + syms[i + 1];
      pairs.set(k, (pairs.get(k) ?? 0) + c);
    }
    let best, bestCount = 0;
    for (const [k, c] of pairs) if (c > bestCount || (c === bestCount && k < best)) { best = k; bestCount = c; }
    if (best === undefined) break;
    const [l, r] = best.split("\u0000");
    merges.push([l, r]);
    for (const w of words) {
      const out = [];
      for (let i = 0; i < w.syms.length; i++) {
        if (i + 1 < w.syms.length && w.syms[i] === l && w.syms[i + 1] === r) { out.push(l + r); i++; } else out.push(w.syms[i]);
      }
      w.syms = out;
    }
  }
  const chars = new Map();
  for (const ch of CORPUS.replace(/\s+/gu, SP)) chars.set(ch, (chars.get(ch) ?? 0) + 1);
  return { merges, chars: [...chars].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([c]) => c) };
}

const MINICPMV = ["<image>", "</image>", "<ref>", "</ref>", "<box>", "</box>", "<quad>", "</quad>", "<point>", "</point>", "<slice>", "</slice>", "<image_id>", "</image_id>"];

function build() {
  const { merges: learned, chars } = train(250);
  const vocab = {};
  const add = (t) => { if (!(t in vocab)) vocab[t] = Object.keys(vocab).length; };
  ["<unk>", "<s>", "</s>"].forEach(add);
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
  MINICPMV.forEach(add);
  // runs of the space mark, as SentencePiece vocabularies have them
  const runs = [[SP, SP], [SP + SP, SP], [SP + SP, SP + SP]];
  const merges = [];
  for (const [l, r] of runs) { add(l + r); merges.push([l, r]); }
  for (const [l, r] of learned) { add(l + r); merges.push([l, r]); }
  // every single character the merges use must be a token: add characters first in rank order of use
  const vocabOrder = { ...vocab };
  for (const c of chars) add(c);
  for (const [l, r] of merges) { add(l); add(r); }
  // single characters go after the merged pieces (as in a converted SentencePiece model)
  const base = Object.keys(vocabOrder).length;
  const singles = Object.keys(vocab).filter((t) => vocab[t] >= base);
  const ordered = {};
  for (const t of Object.keys(vocabOrder)) ordered[t] = vocabOrder[t];
  for (const t of singles) ordered[t] = Object.keys(ordered).length;
  const n = Object.keys(ordered).length;
  const tok = (id, content, o = {}) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true, ...o });
  const added = [
    tok(0, "<unk>"), tok(1, "<s>"), tok(2, "</s>"),
    ...MINICPMV.map((t) => tok(ordered[t], t)),
    tok(n, "<|im_start|>"), tok(n + 1, "<|im_end|>"), tok(n + 2, "<mask>", { lstrip: true }),
    tok(n + 3, "<tool_call>", { special: false }), tok(n + 4, "New York", { special: false, normalized: true }),
  ];
  const bos = (type_id) => ({ SpecialToken: { id: "<s>", type_id } });
  const common = {
    version: "1.0", truncation: null, padding: null, added_tokens: added,
    post_processor: {
      type: "TemplateProcessing",
      single: [bos(0), { Sequence: { id: "A", type_id: 0 } }],
      pair: [bos(0), { Sequence: { id: "A", type_id: 0 } }, bos(1), { Sequence: { id: "B", type_id: 1 } }],
      special_tokens: { "<s>": { id: "<s>", ids: [1], tokens: ["<s>"] } },
    },
    decoder: {
      type: "Sequence",
      decoders: [
        { type: "Replace", pattern: { String: SP }, content: " " }, { type: "ByteFallback" }, { type: "Fuse" },
        { type: "Strip", content: " ", start: 1, stop: 0 },
      ],
    },
    model: {
      type: "BPE", dropout: null, unk_token: "<unk>", continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab: ordered, merges,
    },
  };
  // Llama-2 / MiniCPM ("legacy"): Prepend + Replace normalizer, no pre-tokenizer
  const legacy = {
    ...common,
    normalizer: { type: "Sequence", normalizers: [{ type: "Prepend", prepend: SP }, { type: "Replace", pattern: { String: " " }, content: SP }] },
    pre_tokenizer: null,
  };
  // transformers' non-legacy conversion: no normalizer, Metaspace prepend_scheme "first", split false
  const metaspace = { ...common, normalizer: null, pre_tokenizer: { type: "Metaspace", replacement: SP, prepend_scheme: "first", split: false } };
  const order = (t) => ({ version: t.version, truncation: t.truncation, padding: t.padding, added_tokens: t.added_tokens, normalizer: t.normalizer, pre_tokenizer: t.pre_tokenizer, post_processor: t.post_processor, decoder: t.decoder, model: t.model });
  const config = {
    add_bos_token: true, add_eos_token: false, bos_token: "<s>", eos_token: "</s>", unk_token: "<unk>", pad_token: "<unk>",
    additional_special_tokens: [...MINICPMV, "<|im_start|>", "<|im_end|>"], clean_up_tokenization_spaces: false, legacy: true,
    model_max_length: 32768, tokenizer_class: "LlamaTokenizer",
    chat_template: "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
  };
  return { legacy: order(legacy), metaspace: order(metaspace), config };
}

const STRINGS = [
  "", "Hello world", "hello", " Hello", "  two leading spaces", "trailing space ", "multiple   spaces   inside", " ", "   ",
  "\n", "line one\nline two", "tab\tseparated", "CRLF\r\nend", "What is in the image?", "Please describe the picture in detail.",
  "The quick brown fox jumps over the lazy dog.", "图片里有什么？", "这张图片里有三个红色的圆。", "日本語のテキスト", "Привет, мир!",
  "Où est le chat? Voilà.", "emoji 😀 and 👍🏽", "👨‍👩‍👧 family", "🇫🇷", "<image>", "<image>What is this?</image>",
  "<|im_start|>user\nWhat is in the image?<|im_end|>\n<|im_start|>assistant\n", "<s>hello</s>", "<unk>", "text<slice>more</slice>",
  "<ref>a red circle</ref><box>12 34 56 78</box>", " <image> spaced </image> ", "I love New York", "NewYork and New York",
  "a <mask> b", "<image_id>0</image_id>", "<tool_call>{\"name\": 1}</tool_call>", "1234567890",
  "function add(a, b) { return a + b; }", "It's a test, isn't it?", "literal <0x41> text", `${SP} literal mark`,
  "e\u0301 vs \u00e9", "nul\u0000char", "the the then there these", "<|im_end|>",
];

/** Hand-picked id sequences for decoding: byte runs forming UTF-8, leading spaces, special tokens first. */
function decodeCases(json) {
  const id = (t) => json.added_tokens.find((a) => a.content === t)?.id ?? json.model.vocab[t];
  const byte = (b) => json.model.vocab[`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`];
  const bytes = (s) => Array.from(new TextEncoder().encode(s), byte);
  return [
    bytes("你好"), [id(SP + "the"), ...bytes("😀")], [byte(0x20), id("a")], [id("<s>"), id(SP + "the")], [id(SP), id(SP), id("a")],
    [id("<unk>"), id("a")], [id("<|im_start|>"), ...bytes("user"), id("<|im_end|>")], [id("<image>"), id(SP + "the"), id("</image>")],
    [byte(0xe4)], [id("a"), byte(0xff), id("a")], [id("<tool_call>"), id("New York")], [id("</s>"), id("<s>")],
  ];
}

function goldens(json, config, strings) {
  const ref = new Tokenizer(json, config);
  const plain = new Tokenizer({ ...json, added_tokens: json.added_tokens.filter((a) => !a.special) }, config);
  const dec = (ids) => (ids.length === 0 ? { skip: "", keep: "" } : { skip: ref.decode(ids, { skip_special_tokens: true }), keep: ref.decode(ids, { skip_special_tokens: false }) });
  const cases = strings.map((text) => {
    const ids = ref.encode(text).ids;
    return {
      text, ids, ids_no_special: ref.encode(text, { add_special_tokens: false }).ids,
      ids_no_parse_special: plain.encode(text).ids, decode: dec(ids),
    };
  });
  return { cases, decode_cases: decodeCases(json).map((ids) => ({ ids, ...dec(ids) })) };
}

const { legacy, metaspace, config } = build();
const files = {
  "legacy/tokenizer.json": JSON.stringify(legacy),
  "metaspace/tokenizer.json": JSON.stringify(metaspace),
  "tokenizer_config.json": JSON.stringify(config, null, 2) + "\n",
};
const golden = {
  reference: { package: "@huggingface/tokenizers", version: "0.2.0", api: "new Tokenizer(tokenizer.json, tokenizer_config.json); encode(text, { add_special_tokens }).ids; decode(ids, { skip_special_tokens })" },
  generator: "tools/hf-spm-tokenizer/make_goldens.mjs",
  files: Object.fromEntries(Object.entries(files).map(([f, s]) => [f, { sha256: createHash("sha256").update(s).digest("hex") }])),
  sets: { legacy: goldens(legacy, config, STRINGS), metaspace: goldens(metaspace, config, STRINGS) },
};
for (const [f, s] of Object.entries(files)) {
  mkdirSync(join(args.out, f, ".."), { recursive: true });
  writeFileSync(join(args.out, f), s);
}
writeFileSync(join(args.out, "golden.json"), JSON.stringify(golden, null, 1) + "\n");
console.log(`wrote ${Object.keys(files).length + 1} files to ${args.out}: ${STRINGS.length} strings, model vocabulary ${Object.keys(legacy.model.vocab).length}, merges ${legacy.model.merges.length}`);
