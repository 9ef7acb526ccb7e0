import { test } from "node:test";
import assert from "node:assert/strict";
import { UserError } from "../../src/errors.js";
import type { GGUFMetadata } from "../../src/formats/gguf/reader.js";
import { hfTokenizerEntries, hfTokenizerMetadata, loadHfTokenizer } from "../../src/formats/hf/tokenizer.js";
import { memoryFolder } from "../../src/formats/hf/folder.js";
import { Tokenizer } from "../../src/formats/tokenizer/index.js";
import { loadMetadata } from "../tokenizer/helpers.js";
import { npmTokenizer } from "./hf-tokenizer-folders.js";

const added = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });

/** Our tokenizer.* entries equal the converter's, key by key (types included), with none extra. */
function sameTokenizerKeys(ours: GGUFMetadata, gguf: GGUFMetadata): void {
  const theirs = [...gguf.entries.keys()].filter((k) => k.startsWith("tokenizer."));
  assert.deepEqual([...ours.entries.keys()].sort(), theirs.sort());
  for (const k of theirs) assert.deepEqual(ours.entries.get(k), gguf.entries.get(k), k);
}

// The vocab-only GGUFs were made by llama.cpp's convert_hf_to_gguf.py from these npm tokenizers with
// the MiniCPM-V tokens appended as special added tokens (test/fixtures/llamacpp/vocab-*/golden.json).
test("Qwen3 tokenizer.json + MiniCPM-V tokens -> the same tokenizer.* metadata as convert_hf_to_gguf.py", async () => {
  const gguf = await loadMetadata("vocab-qwen3/vocab-qwen3.gguf.gz");
  const golden = (await import("../tokenizer/helpers.js")).readGolden("vocab-qwen3").conversion;
  const { tokenizer, config } = npmTokenizer("qwen3");
  for (const [text, id] of golden.added_minicpmv_tokens) tokenizer.added_tokens.push(added(id, text));
  // "<unk>" named in tokenizer_config.json (as MiniCPM-V's) is a Qwen vocabulary token: transformers makes it
  // a special added token, so the converter types it CONTROL (without an unk id: it is not in added_tokens)
  const files = {
    tokenizerJson: tokenizer, tokenizerConfig: { ...config, unk_token: "<unk>" },
    config: { vocab_size: golden.config_vocab_size, bos_token_id: 151643, eos_token_id: 151645 },
  };
  const ours = hfTokenizerMetadata(files, { name: "qwen3", vocabSize: golden.config_vocab_size });
  sameTokenizerKeys(ours, gguf);
  assert.equal(ours.string("tokenizer.ggml.pre"), "qwen2");
  assert.equal(ours.numbers("tokenizer.ggml.token_type")[128244], 3);
});

test("Llama-3 tokenizer.json (pair merges as strings, BOS template) -> the same tokenizer.* metadata", async () => {
  const gguf = await loadMetadata("vocab-llama3/vocab-llama3.gguf.gz");
  const golden = (await import("../tokenizer/helpers.js")).readGolden("vocab-llama3").conversion;
  const { tokenizer, config } = npmTokenizer("llama3");
  for (const [text, id] of golden.added_minicpmv_tokens) tokenizer.added_tokens.push(added(id, text));
  tokenizer.post_processor = {
    type: "Sequence",
    processors: [tokenizer.post_processor, {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "<|begin_of_text|>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [{ SpecialToken: { id: "<|begin_of_text|>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "<|begin_of_text|>", type_id: 1 } }, { Sequence: { id: "B", type_id: 1 } }],
      special_tokens: {},
    }],
  };
  const files = { tokenizerJson: tokenizer, tokenizerConfig: { ...config, unk_token: "<unk>" }, config: { vocab_size: golden.config_vocab_size } };
  const ours = hfTokenizerMetadata(files, { name: "llama3" });
  sameTokenizerKeys(ours, gguf);
  assert.equal(ours.string("tokenizer.ggml.pre"), "llama-bpe");
  assert.equal(ours.bool("tokenizer.ggml.add_bos_token", false), true);
});

/** A small byte-level BPE tokenizer.json over the letters a-c. */
function toy(over: Record<string, unknown> = {}) {
  const vocab: Record<string, number> = { a: 0, b: 1, c: 2, "Ġ": 3, ab: 4, "Ġa": 5, "a Ġb": 6 };
  return {
    added_tokens: [added(7, "<|im_end|>"), { ...added(8, "<tool>"), special: false }, { ...added(9, "<bar\u2581baz>"), special: false }],
    normalizer: { type: "NFC" },
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+" }, behavior: "Isolated", invert: false },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    post_processor: { type: "ByteLevel" },
    decoder: { type: "ByteLevel" },
    model: { type: "BPE", byte_fallback: false, vocab, merges: [["a", "b"], ["Ġ", "a"], ["a ", "Ġb"]] },
    ...over,
  };
}

test("pairs of merges become 'a b' strings, spaces inside a part spelled U+0120; ids past the tokenizer are [PAD]", () => {
  const m = hfTokenizerMetadata({ tokenizerJson: toy(), tokenizerConfig: { eos_token: "<|im_end|>" } }, { vocabSize: 12 });
  assert.deepEqual(m.strings("tokenizer.ggml.merges"), ["a b", "Ġ a", "aĠ Ġb"]);
  assert.deepEqual(m.strings("tokenizer.ggml.tokens"), ["a", "b", "c", "Ġ", "ab", "Ġa", "a Ġb", "<|im_end|>", "<tool>", "<bar baz>", "[PAD10]", "[PAD11]"]);
  assert.deepEqual(m.numbers("tokenizer.ggml.token_type"), [1, 1, 1, 1, 1, 1, 1, 3, 4, 4, 5, 5]);
  assert.equal(m.number("tokenizer.ggml.eos_token_id"), 7);
  assert.equal(m.has("tokenizer.ggml.bos_token_id"), false);
  assert.equal(m.has("tokenizer.chat_template"), false);
  // the tokenizer built from it encodes with the merges and matches added tokens in text
  const t = Tokenizer.fromMetadata(m);
  assert.deepEqual(t.encode("ab a<tool>", { addSpecial: false }), [4, 5, 8]);
  assert.deepEqual(t.encode("a<|im_end|>", { addSpecial: false, parseSpecial: true }), [0, 7]);
  assert.ok(t.isEog(7));
});

test("tokens tokenizer_config.json names that are not added tokens become special added tokens", () => {
  const m = hfTokenizerMetadata({
    tokenizerJson: toy(),
    tokenizerConfig: {
      pad_token: "c", additional_special_tokens: ["<tool>", { content: "<new1>" }],
      added_tokens_decoder: { 11: { content: "<new0>", special: false }, 3: { content: "Ġ", special: false } },
    },
  });
  const tokens = m.strings("tokenizer.ggml.tokens"), types = m.numbers("tokenizer.ggml.token_type");
  // "c" and "Ġ" keep their ids and become control / user-defined; "<tool>" stays as tokenizer.json has it;
  // new texts get the next ids, added_tokens_decoder's first
  assert.deepEqual(tokens.slice(10), ["<new0>", "<new1>"]);
  assert.deepEqual([types[2], types[3], types[8], types[10], types[11]], [3, 4, 4, 4, 3]);
  assert.equal(m.has("tokenizer.ggml.padding_token_id"), false, "ids come from tokenizer.json's added_tokens only");
});

test("a non-special added token that looks special (<|...|>) is a control token", () => {
  const tj = toy({ added_tokens: [{ ...added(7, "<|x|>"), special: false }] });
  assert.equal(hfTokenizerMetadata({ tokenizerJson: tj }).numbers("tokenizer.ggml.token_type")[7], 3);
});

test("special ids: tokenizer_config names (looked up in added_tokens) first, then config.json ids; add_bos from the config", () => {
  const m = hfTokenizerMetadata({
    tokenizerJson: toy(),
    tokenizerConfig: { bos_token: { content: "<|im_end|>" }, pad_token: "c", add_bos_token: true, add_eos_token: false },
    config: { bos_token_id: 2, eos_token_id: [7, 8], pad_token_id: 1, text_config: { unk_token_id: 0 } },
  });
  assert.equal(m.number("tokenizer.ggml.bos_token_id"), 7);
  assert.equal(m.has("tokenizer.ggml.eos_token_id"), false, "a list of ids is not an id");
  assert.equal(m.number("tokenizer.ggml.padding_token_id"), 1, "'c' is not an added token, so config.json's id is used");
  assert.equal(m.number("tokenizer.ggml.unknown_token_id"), 0, "from text_config");
  assert.equal(m.bool("tokenizer.ggml.add_bos_token", false), true);
  assert.equal(m.bool("tokenizer.ggml.add_eos_token", true), false);
});

test("a post-processor ending in another token than EOS: that one becomes EOS, the configured one EOT", () => {
  const tj = toy({
    added_tokens: [added(7, "<|im_end|>"), added(8, "<|bos|>"), added(9, "<|end|>")],
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "<|bos|>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "<|end|>", type_id: 0 } }],
      pair: [],
    },
  });
  const m = hfTokenizerMetadata({ tokenizerJson: tj, tokenizerConfig: { bos_token: "<|bos|>", eos_token: "<|im_end|>" } });
  assert.equal(m.number("tokenizer.ggml.bos_token_id"), 8);
  assert.equal(m.number("tokenizer.ggml.eos_token_id"), 9);
  assert.equal(m.number("tokenizer.ggml.eot_token_id"), 7);
  assert.equal(m.bool("tokenizer.ggml.add_bos_token", false), true);
  assert.equal(m.bool("tokenizer.ggml.add_eos_token", false), true);
});

test("chat templates: a string, a list of named templates (default + named keys), chat_template.jinja as fallback", async () => {
  const one = hfTokenizerEntries({ tokenizerJson: toy(), tokenizerConfig: { chat_template: "T" } });
  assert.equal(one.get("tokenizer.chat_template")?.value, "T");
  const many = hfTokenizerMetadata({
    tokenizerJson: toy(),
    tokenizerConfig: { chat_template: [{ name: "tool use", template: "U" }, { name: "default", template: "D" }, { name: "rag", template: "R" }] },
  });
  assert.equal(many.string("tokenizer.chat_template"), "D");
  assert.equal(many.string("tokenizer.chat_template.tool_use"), "U");
  assert.equal(many.string("tokenizer.chat_template.rag"), "R");
  assert.deepEqual(many.strings("tokenizer.chat_templates"), ["tool_use", "rag"]);

  const enc = (o: unknown) => new TextEncoder().encode(typeof o === "string" ? o : JSON.stringify(o));
  const folder = memoryFolder("m", {
    "tokenizer.json": enc(toy()), "tokenizer_config.json": enc({ eos_token: "<|im_end|>" }), "chat_template.jinja": enc("J"),
    "additional_chat_templates/tools.jinja": enc("X"),
  });
  const { meta, tokenizer } = await loadHfTokenizer(folder);
  assert.equal(meta.string("tokenizer.chat_template"), "J");
  assert.equal(meta.string("tokenizer.chat_template.tools"), "X");
  assert.equal(tokenizer.nTokens, 10);
  // the converter reads no template without a tokenizer_config.json
  const bare = await loadHfTokenizer(memoryFolder("m", { "tokenizer.json": enc(toy()), "chat_template.jinja": enc("J") }));
  assert.equal(bare.meta.has("tokenizer.chat_template"), false);
});

test("clear errors: byte fallback with ByteLevel, unknown pre-tokenizer regex or kind, ids past the vocabulary, no tokenizer.json", async () => {
  const err = (code: string, re: RegExp) => (e: unknown) => e instanceof UserError && e.code === code && re.test(e.message);
  const meta = (tj: unknown, vocabSize?: number) => hfTokenizerMetadata({ tokenizerJson: tj }, { name: "m", vocabSize });
  assert.throws(() => meta(toy({ model: { type: "Unigram", vocab: [] } })), err("unsupported", /m\/tokenizer\.json: tokenizer model "Unigram"/));
  assert.throws(() => meta(toy({ model: { type: "BPE", byte_fallback: true, vocab: {}, merges: [] } })), err("unsupported", /byte fallback/));
  const other = toy();
  (other.pre_tokenizer.pretokenizers[0] as { pattern: { Regex: string } }).pattern.Regex = "\\w+";
  assert.throws(() => meta(other), err("unsupported", /regex "\\\\w\+" is not one of the known/));
  // without ByteLevel it is read as SentencePiece-style BPE, which takes no Whitespace pre-tokenizer
  assert.throws(() => meta(toy({ pre_tokenizer: { type: "Whitespace" }, decoder: { type: "WordPiece" } })), err("unsupported", /pre-tokenizer "Whitespace" is not supported/));
  assert.throws(() => meta(toy(), 8), err("bad_file", /token id 9 .* does not fit a vocabulary of 8/));
  assert.throws(() => meta(toy({ model: { type: "BPE", vocab: { a: -1 }, merges: [] } })), err("bad_file", /non-negative integer/));
  assert.equal(meta(toy({ pre_tokenizer: { type: "ByteLevel", add_prefix_space: false } })).string("tokenizer.ggml.pre"), "gpt-2");
  await assert.rejects(loadHfTokenizer(memoryFolder("m", { "vocab.json": new Uint8Array(2) })), err("missing", /m: no tokenizer\.json \(only the fast-tokenizer file/));
});
