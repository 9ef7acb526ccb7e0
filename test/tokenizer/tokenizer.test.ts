import assert from "node:assert/strict";
import { GGUFMetadata } from "../../src/formats/gguf/reader.js";
import { GGUFValueType, type GGUFEntry } from "../../src/formats/gguf/types.js";
import { StreamingDetokenizer, Tokenizer } from "../../src/formats/tokenizer/index.js";
import { UserError } from "../../src/errors.js";
import { loadTokenizer } from "./helpers.js";

const QWEN3 = "vocab-qwen3/vocab-qwen3.gguf.gz";
const LLAMA3 = "vocab-llama3/vocab-llama3.gguf.gz";
const TOY45 = "minicpmv-4.5/llm-f16.gguf";

// Read the GGUFs before node:test is loaded: its promise tracking makes the reader ~10x slower.
await Promise.all([QWEN3, LLAMA3, TOY45].map((f) => loadTokenizer(f)));
const { test } = await import("node:test");

/** Feeds ids one at a time; returns the chunks. */
function stream(tok: Tokenizer, ids: number[], special = false): string[] {
  const s = new StreamingDetokenizer(tok, special);
  const chunks = ids.map((id) => s.push(id));
  chunks.push(s.flush());
  return chunks;
}

for (const file of [QWEN3, LLAMA3, TOY45]) {
  test(`${file}: streaming detokenizer holds back split UTF-8 characters`, async () => {
    const tok = await loadTokenizer(file);
    const text = "emoji 🚀🦙✅ and 😶‍🌫️ 👨‍👩‍👧‍👦🇯🇵, CJK 日本語のテキスト 图片里有什么 한국어";
    const ids = tok.encode(text, { addSpecial: false });
    const chunks = stream(tok, ids);
    assert.equal(chunks.join(""), text);
    for (const c of chunks) assert.ok(!c.includes("\uFFFD"), `chunk ${JSON.stringify(c)} has a broken character`);
    // some character must have been spread over several tokens for the test to mean anything
    const partial = ids.filter((id) => new TextDecoder("utf-8", { fatal: false }).decode(tok.tokenToPiece(id)).includes("\uFFFD"));
    assert.ok(partial.length > 0, "no token carried a partial character");
    assert.ok(chunks.slice(0, -1).some((c) => c === ""), "nothing was held back");
  });
}

test("streaming detokenizer: an unfinished character is flushed as U+FFFD; control tokens hidden unless asked", async () => {
  const tok = await loadTokenizer(TOY45);
  const rocket = tok.encode("🚀", { addSpecial: false });
  assert.ok(rocket.length > 1);
  const s = new StreamingDetokenizer(tok);
  assert.equal(s.push(rocket[0]), "");
  assert.equal(s.flush(), "\uFFFD");
  const imEnd = tok.tokenId("<|im_end|>")!;
  assert.deepEqual(stream(tok, [imEnd]), ["", ""]);
  assert.deepEqual(stream(tok, [imEnd], true), ["<|im_end|>", ""]);
});

test("qwen3: pieces of control, user-defined and unused tokens; end-of-generation set", async () => {
  const tok = await loadTokenizer(QWEN3);
  const dec = (b: Uint8Array) => new TextDecoder().decode(b);
  const imEnd = tok.tokenId("<|im_end|>")!;
  const think = tok.tokenId("<think>")!; // user-defined: always rendered, matched even without parseSpecial
  assert.equal(dec(tok.tokenToPiece(imEnd, true)), "<|im_end|>");
  assert.equal(dec(tok.tokenToPiece(imEnd, false)), "");
  assert.equal(dec(tok.tokenToPiece(think, false)), "<think>");
  assert.equal(tok.tokenToPiece(tok.tokenId("[PAD151683]")!, true).length, 0);
  assert.deepEqual(tok.encode("<think>", { parseSpecial: false }), [think]);
  assert.notDeepEqual(tok.encode("<|im_end|>", { parseSpecial: false }), [imEnd]);
  assert.deepEqual(tok.encode("<|im_end|>", { parseSpecial: true }), [imEnd]);
  assert.ok(tok.isEog(imEnd) && tok.isEog(tok.tokenId("<|endoftext|>")!));
  assert.ok(!tok.isEog(tok.tokenId("<image>")!) && !tok.isEog(think));
  assert.ok(tok.isControl(imEnd) && !tok.isControl(think));
  assert.equal(tok.special.eot, imEnd);
  assert.equal(tok.preTokenizer, "qwen2");
});

test("llama3: BOS added by default, eot is <|eot_id|>, decode drops the added BOS with removeSpecial", async () => {
  const tok = await loadTokenizer(LLAMA3);
  const ids = tok.encode("Hello world");
  assert.equal(ids[0], tok.special.bos);
  assert.deepEqual(tok.encode("Hello world", { addSpecial: false }), ids.slice(1));
  assert.equal(tok.decode(ids, { removeSpecial: true }), "Hello world");
  assert.equal(tok.decode(ids, { unparseSpecial: true }), "<|begin_of_text|>Hello world");
  assert.equal(tok.special.eot, tok.tokenId("<|eot_id|>"));
  assert.ok(tok.isEog(tok.tokenId("<|eot_id|>")!) && tok.isEog(tok.tokenId("<|end_of_text|>")!));
});

test("lone surrogates are tokenized as U+FFFD, as their UTF-8 encoding would be", async () => {
  const tok = await loadTokenizer(QWEN3);
  assert.deepEqual(tok.encode("a\uD800b", { addSpecial: false }), tok.encode("a\uFFFDb", { addSpecial: false }));
});

test("encoding a few KB of mixed text takes milliseconds", async () => {
  const tok = await loadTokenizer(QWEN3);
  const text = ("The quick brown fox jumps over the lazy dog. 图片里有什么？请详细描述这张图片。 🚀 1234567 "
    + "function add(a, b) {\n  return a + b;\n}\n").repeat(40);
  tok.encode(text); // warm the word cache and the code point tables
  const t0 = performance.now();
  const ids = tok.encode(text + " fresh words: zebra quokka axolotl");
  const ms = performance.now() - t0;
  assert.ok(ids.length > 1000);
  assert.ok(ms < 100, `encoding ${text.length} chars took ${ms.toFixed(1)} ms`);
});

test("out-of-range ids and unsupported vocabularies are user errors", async () => {
  const tok = await loadTokenizer(TOY45);
  assert.throws(() => tok.tokenToPiece(tok.nTokens), UserError);
  assert.throws(() => tok.decode([-1]), UserError);
  const meta = (entries: Record<string, GGUFEntry>) => new GGUFMetadata("x.gguf", new Map(Object.entries(entries)));
  const str = (value: string): GGUFEntry => ({ type: GGUFValueType.STRING, value });
  assert.throws(() => Tokenizer.fromMetadata(meta({ "tokenizer.ggml.model": str("bert") })), /tokenizer model "bert" is not supported/);
  assert.throws(() => Tokenizer.fromMetadata(meta({ "tokenizer.ggml.model": str("gpt2"), "tokenizer.ggml.pre": str("nope") })),
    /pre-tokenizer "nope" is not supported/);
  assert.throws(() => Tokenizer.fromMetadata(meta({ "tokenizer.ggml.model": str("gpt2") })), /merges are missing/);
});
