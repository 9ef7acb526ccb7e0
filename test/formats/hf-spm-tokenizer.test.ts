/**
 * SentencePiece-style BPE tokenizer.json (MiniCPM-V 4.0 / MiniCPM4, Llama-2): encoding and decoding against the
 * reference goldens of test/fixtures/hf/spm-bpe (see its README), the `tokenizer.*` metadata, a MiniCPM-V 4.0
 * folder opened through the normal folder loader, behaviours of the Rust `tokenizers` library that the reference
 * does not share (checked by hand from its source), and the clear refusals of what is still unsupported.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { UserError } from "../../src/errors.js";
import { memoryFolder } from "../../src/formats/hf/folder.js";
import { hfTokenizerMetadata, loadHfTokenizer } from "../../src/formats/hf/tokenizer.js";
import { openHfVlmFolder } from "../../src/formats/hf/vlm-folder.js";
import { writeSafetensors, type SafetensorsWriteTensor } from "../../src/formats/safetensors/writer.js";
import { Tokenizer } from "../../src/formats/tokenizer/index.js";
import { memorySink } from "../../src/io/byte-sink.js";
import { fixtureBytes, fixtureJSON, prng } from "./fixture-files.js";

type Json = Record<string, any>;
const DIR = "hf/spm-bpe";
const SETS = ["legacy", "metaspace"] as const;
const golden = fixtureJSON(`${DIR}/golden.json`);
const config = (): Json => fixtureJSON(`${DIR}/tokenizer_config.json`);
const tokenizerJson = (set: string): Json => fixtureJSON(`${DIR}/${set}/tokenizer.json`);
const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));

async function load(tj: Json, cfg: Json = config()): Promise<Tokenizer> {
  const folder = memoryFolder("spm", { "tokenizer.json": enc(tj), "tokenizer_config.json": enc(cfg) });
  return (await loadHfTokenizer(folder)).tokenizer;
}

/** Every mismatch against a golden set, as readable lines. */
function failures(tok: Tokenizer, set: Json): string[] {
  const out: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  for (const c of set.cases) {
    const what = JSON.stringify(c.text);
    const checks: [string, unknown, unknown][] = [
      ["encode", tok.encode(c.text, { parseSpecial: true }), c.ids],
      ["encode without BOS", tok.encode(c.text, { addSpecial: false, parseSpecial: true }), c.ids_no_special],
      ["encode, special tokens as text", tok.encode(c.text, { parseSpecial: false }), c.ids_no_parse_special],
      ["decode keeping special tokens", tok.decode(c.ids, { unparseSpecial: true }), c.decode.keep],
      ["decode skipping special tokens", tok.decode(c.ids), c.decode.skip],
    ];
    for (const [name, got, want] of checks) if (!same(got, want)) out.push(`${what} ${name}: ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
  }
  for (const d of set.decode_cases) {
    const keep = tok.decode(d.ids, { unparseSpecial: true }), skip = tok.decode(d.ids);
    if (keep !== d.keep || skip !== d.skip) out.push(`decode ${JSON.stringify(d.ids)}: ${JSON.stringify([keep, skip])} != ${JSON.stringify([d.keep, d.skip])}`);
  }
  return out;
}

test("the fixture files are the ones the goldens were made from", () => {
  for (const [file, { sha256 }] of Object.entries(golden.files as Record<string, { sha256: string }>)) {
    assert.equal(createHash("sha256").update(fixtureBytes(`${DIR}/${file}`)).digest("hex"), sha256, file);
  }
  assert.equal(golden.sets.legacy.cases.length, 46);
});

for (const set of SETS) {
  test(`${set} tokenizer.json: encode and decode as the reference on ${golden.sets[set].cases.length} strings and ${golden.sets[set].decode_cases.length} id lists`, async () => {
    const tok = await load(tokenizerJson(set));
    assert.deepEqual(failures(tok, golden.sets[set]), []);
  });
}

test("tokenizer.* metadata: a llama vocabulary with byte, control, user-defined and unused tokens, BOS from the config", () => {
  const m = hfTokenizerMetadata({ tokenizerJson: tokenizerJson("legacy"), tokenizerConfig: config() }, { name: "spm", vocabSize: 640 });
  const tokens = m.strings("tokenizer.ggml.tokens"), types = m.numbers("tokenizer.ggml.token_type"), scores = m.numbers("tokenizer.ggml.scores");
  assert.equal(m.string("tokenizer.ggml.model"), "llama");
  assert.equal(m.string("tokenizer.ggml.pre"), "default");
  assert.equal(m.has("tokenizer.ggml.merges"), false, "a llama vocabulary has no merges key");
  assert.equal(tokens.length, 640);
  const at = (text: string) => tokens.indexOf(text);
  assert.deepEqual([0, 1, 2].map((i) => types[i]), [3, 3, 3], "<unk> <s> </s> are special added tokens");
  assert.equal(types[at("<0x0A>")], 6);
  assert.equal(types[at("<image>")], 3);
  assert.equal(types[at("<|im_end|>")], 3);
  assert.equal(types[at("<tool_call>")], 4);
  assert.equal(tokens[at("New York")], "New York");
  assert.equal(types[at("New York")], 4);
  assert.deepEqual([tokens[639], types[639]], ["[PAD639]", 5]);
  // merged pieces score by their merge rank, above the single characters
  assert.ok(scores[at("\u2581\u2581")] > scores[at("\u2581\u2581\u2581\u2581")]);
  assert.ok(scores[at("\u2581\u2581\u2581\u2581")] > scores[at("a")]);
  assert.equal(m.number("tokenizer.ggml.bos_token_id"), 1);
  assert.equal(m.number("tokenizer.ggml.eos_token_id"), 2);
  assert.equal(m.number("tokenizer.ggml.unknown_token_id"), 0);
  assert.equal(m.bool("tokenizer.ggml.add_bos_token", false), true);
  assert.equal(m.bool("tokenizer.ggml.add_eos_token", true), false);
  assert.equal(m.bool("tokenizer.ggml.add_space_prefix", false), true);
  assert.equal(m.string("tokenizer.chat_template"), config().chat_template);
  const meta = hfTokenizerMetadata({ tokenizerJson: tokenizerJson("metaspace"), tokenizerConfig: config() });
  assert.equal(meta.bool("tokenizer.ggml.add_space_prefix", false), true, "Metaspace prepend_scheme first");
});

test("BOS as tokenizer_config.json says (over the post-processor); no template and no flag: no BOS", async () => {
  const noBos = await load(tokenizerJson("legacy"), { ...config(), add_bos_token: false });
  assert.equal(noBos.addBos, false);
  assert.deepEqual(noBos.encode("the"), noBos.encode("the", { addSpecial: false }));
  assert.notEqual(noBos.encode("the")[0], 1);
  const withEos = await load(tokenizerJson("legacy"), { ...config(), add_eos_token: true });
  const ids = withEos.encode("the");
  assert.deepEqual([ids[0], ids[ids.length - 1]], [1, 2]);
  assert.equal(withEos.decode(ids, { removeSpecial: true, unparseSpecial: true }), "the");
  const bare = { ...tokenizerJson("legacy"), post_processor: null };
  const { bos_token: _b, add_bos_token: _a, ...cfg } = config();
  assert.equal((await load(bare, cfg)).addBos, false);
});

test("pieces for streaming: '▁' as a space, byte tokens as their byte, special tokens only when asked", async () => {
  const tok = await load(tokenizerJson("legacy"));
  const id = (t: string) => tok.tokenId(t)!;
  assert.equal(tok.model, "llama");
  assert.deepEqual([...tok.tokenToPiece(id("\u2581the"))], [...new TextEncoder().encode(" the")]);
  assert.deepEqual([...tok.tokenToPiece(id("<0xE4>"))], [0xe4]);
  assert.deepEqual([...tok.tokenToPiece(id("<|im_end|>"), false)], []);
  assert.equal(new TextDecoder().decode(tok.tokenToPiece(id("<|im_end|>"), true)), "<|im_end|>");
  assert.ok(tok.isEog(id("</s>")) && tok.isEog(id("<|im_end|>")));
  assert.equal(tok.special.nl, id("<0x0A>"));
});

// ---- a MiniCPM-V 4.0 folder through the normal folder loader ----

async function miniFolder(set: string): Promise<Record<string, Uint8Array>> {
  const rand = prng(40);
  const rows = 640, hidden = 64, heads = 2, kv = 1, headDim = 32, ff = 96;
  const f32 = (name: string, shape: number[], value?: number): SafetensorsWriteTensor => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n).map(() => value ?? (rand() - 0.5) * 0.1);
    return { name, dtype: "F32", shape, data: new Uint8Array(data.buffer) };
  };
  const p = "llm.model.layers.0.";
  const tensors = [
    f32("llm.model.embed_tokens.weight", [rows, hidden]), f32("llm.model.norm.weight", [hidden], 1), f32("llm.lm_head.weight", [rows, hidden]),
    f32(`${p}input_layernorm.weight`, [hidden], 1), f32(`${p}post_attention_layernorm.weight`, [hidden], 1),
    f32(`${p}self_attn.q_proj.weight`, [heads * headDim, hidden]), f32(`${p}self_attn.k_proj.weight`, [kv * headDim, hidden]),
    f32(`${p}self_attn.v_proj.weight`, [kv * headDim, hidden]), f32(`${p}self_attn.o_proj.weight`, [hidden, heads * headDim]),
    f32(`${p}mlp.gate_proj.weight`, [ff, hidden]), f32(`${p}mlp.up_proj.weight`, [ff, hidden]), f32(`${p}mlp.down_proj.weight`, [hidden, ff]),
  ];
  const sink = memorySink();
  await writeSafetensors(sink, tensors, { format: "pt" });
  const cfg = {
    architectures: ["MiniCPMV"], model_type: "minicpmv", version: 4.0, hidden_size: hidden, intermediate_size: ff, num_hidden_layers: 1,
    num_attention_heads: heads, num_key_value_heads: kv, head_dim: headDim, max_position_embeddings: 512, rope_theta: 10000, rms_norm_eps: 1e-5,
    scale_emb: 12, scale_depth: 1.4, dim_model_base: 32, tie_word_embeddings: false, vocab_size: rows, query_num: 64,
    bos_token_id: 1, eos_token_id: [2, 626],
  };
  return {
    "config.json": enc(cfg), "model.safetensors": sink.bytes(),
    "tokenizer.json": enc(tokenizerJson(set)), "tokenizer_config.json": enc(config()),
  };
}

for (const set of SETS) {
  test(`MiniCPM-V 4.0 folder with the ${set} tokenizer.json opens with that tokenizer`, async () => {
    const hf = await openHfVlmFolder(memoryFolder("MiniCPM-V-4-tiny", await miniFolder(set)), { vision: false });
    try {
      assert.equal(hf.llm.meta.string("general.architecture"), "minicpm");
      assert.equal(hf.llm.meta.string("tokenizer.ggml.model"), "llama");
      assert.equal(hf.llm.meta.strings("tokenizer.ggml.tokens").length, 640);
      assert.equal(hf.tokenizer.nTokens, 640);
      assert.equal(hf.chatTemplate, config().chat_template);
      assert.deepEqual(failures(hf.tokenizer, golden.sets[set]), []);
      const prompt = "<|im_start|>user\n<image>./</image>\nWhat is in the image?<|im_end|>\n<|im_start|>assistant\n";
      const ids = hf.tokenizer.encode(prompt, { parseSpecial: true });
      // the legacy normalizer puts a "▁" before the text after every special token ("<|im_start|> user"), as HF does
      const back = hf.tokenizer.decode(ids, { unparseSpecial: true, removeSpecial: true });
      assert.equal(back, set === "metaspace" ? prompt : prompt.replace(/(>)(?=[^<])/g, "$1 "));
    } finally {
      await hf.close();
    }
  });
}

// ---- Rust `tokenizers` behaviours the reference does not share (expected values read off the Rust source) ----

/** A tiny SentencePiece-style tokenizer.json over a b c, "▁", byte tokens of a few bytes. */
function tiny(over: Json = {}, model: Json = {}): Json {
  const vocab: Json = { "<unk>": 0, "<s>": 1, "</s>": 2, "<0x20>": 3, "<0xC3>": 4, "<0xA9>": 5, "<0xE4>": 6, "<0xB8>": 7, a: 8, b: 9, "\u2581": 10, "\u2581a": 11, "\u2581\u2581": 12, ab: 13 };
  return {
    added_tokens: [{ id: 1, content: "<s>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: { type: "Metaspace", replacement: "\u2581", prepend_scheme: "always" },
    post_processor: null,
    decoder: { type: "Sequence", decoders: [{ type: "Replace", pattern: { String: "\u2581" }, content: " " }, { type: "ByteFallback" }, { type: "Fuse" }] },
    model: { type: "BPE", unk_token: "<unk>", fuse_unk: false, byte_fallback: true, vocab, merges: [["\u2581", "\u2581"], ["\u2581", "a"], ["a", "b"]], ...model },
    ...over,
  };
}

test("Rust tokenizers: Metaspace split (the default) cuts before every '▁'; without it the run merges", async () => {
  const split = await load(tiny(), {});
  // "▁a▁▁ab" split MergedWithNext -> "▁a" "▁" "▁ab"; in "▁ab", ▁+a (rank 1) goes before a+b (rank 2)
  assert.deepEqual(split.encode(" a  ab", { addSpecial: false }), [11, 10, 11, 9]);
  const whole = await load(tiny({ pre_tokenizer: { type: "Metaspace", replacement: "\u2581", prepend_scheme: "always", split: false } }), {});
  // one word "▁a▁▁ab": ▁+▁ (rank 0) first, then ▁+a at the start, then a+b
  assert.deepEqual(whole.encode(" a  ab", { addSpecial: false }), [11, 12, 13]);
});

test("Rust tokenizers: unknown characters without byte fallback become <unk>, fused when fuse_unk", async () => {
  const plain = await load(tiny({}, { byte_fallback: false }), {});
  assert.deepEqual(plain.encode("axxa", { addSpecial: false }), [11, 0, 0, 8]);
  const fused = await load(tiny({}, { byte_fallback: false, fuse_unk: true }), {});
  assert.deepEqual(fused.encode("axxa", { addSpecial: false }), [11, 0, 8]);
  // with byte fallback, é has its bytes; 'x' has none and falls to <unk>
  const fb = await load(tiny(), {});
  assert.deepEqual(fb.encode("éx", { addSpecial: false }), [10, 4, 5, 0]);
});

test("Rust tokenizers decoders: invalid byte runs give one U+FFFD per byte; Metaspace drops every '▁' of the first token", async () => {
  const tok = await load(tiny(), {});
  assert.equal(tok.decode([6, 7]), "\ufffd\ufffd", "E4 B8 is an unfinished character: two bytes, two replacements");
  assert.equal(tok.decode([8, 4, 5, 8]), "aéa");
  const meta = await load(tiny({ decoder: { type: "Metaspace", replacement: "\u2581", prepend_scheme: "always" } }), {});
  assert.equal(meta.decode([12, 11, 10]), " a ");
  const never = await load(tiny({ decoder: { type: "Metaspace", replacement: "\u2581", prepend_scheme: "never" } }), {});
  assert.equal(never.decode([12, 11]), "   a");
});

test("Rust tokenizers: a single_word added token is split out only between non-word characters", async () => {
  const tj = tiny({ added_tokens: [{ id: 14, content: "ba", single_word: true, lstrip: false, rstrip: false, normalized: false, special: false }] });
  const tok = await load(tj, {});
  assert.deepEqual(tok.encode("ba ba", { addSpecial: false }), [14, 10, 14]);
  assert.deepEqual(tok.encode("aba", { addSpecial: false }), [11, 9, 8], "inside a word it stays text: ▁a b a");
});

// ---- what is still refused ----

test("clear errors for tokenizers that are still not supported", async () => {
  const err = (code: string, re: RegExp) => (e: unknown) => e instanceof UserError && e.code === code && re.test(e.message);
  const meta = (tj: unknown) => hfTokenizerMetadata({ tokenizerJson: tj }, { name: "m" });
  assert.throws(() => meta({ model: { type: "Unigram", vocab: [["<unk>", 0]] } }), err("unsupported", /m\/tokenizer\.json: tokenizer model "Unigram" is not supported/));
  assert.throws(() => meta({ model: { type: "WordPiece", vocab: { a: 0 } } }), err("unsupported", /tokenizer model "WordPiece" is not supported/));
  assert.throws(() => meta(tiny({ normalizer: { type: "Precompiled", precompiled_charsmap: "" } })), err("unsupported", /normalizer "Precompiled" is not supported/));
  assert.throws(() => meta(tiny({ pre_tokenizer: { type: "Whitespace" } })), err("unsupported", /pre-tokenizer "Whitespace" is not supported/));
  assert.throws(() => meta(tiny({ decoder: { type: "WordPiece" } })), err("unsupported", /decoder "WordPiece" is not supported/));
  assert.throws(() => meta(tiny({ normalizer: { type: "Replace", pattern: { Regex: " +" }, content: "\u2581" } })), err("unsupported", /Replace with a regex pattern/));
  assert.throws(() => meta(tiny({}, { dropout: 0.1 })), err("unsupported", /dropout/));
  assert.throws(() => meta(tiny({}, { continuing_subword_prefix: "##" })), err("unsupported", /continuing_subword_prefix/));
  await assert.rejects(load(tiny({}, { merges: [["a", "x"]] }), {}), err("bad_file", /merge "a x" uses "x", which is not in the vocabulary/));
  await assert.rejects(load(tiny({}, { merges: [["b", "a"]] }), {}), err("bad_file", /makes "ba", which is not in the vocabulary/));
  await assert.rejects(load(tiny({}, { merges: ["a b c"] }), {}), err("bad_file", /model\.merges\[0\]/));
});
