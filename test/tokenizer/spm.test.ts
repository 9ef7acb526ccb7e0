import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { GGUFMetadata, readGGUF } from "../../src/formats/gguf/reader.js";
import { GGUFValueType, type GGUFEntry } from "../../src/formats/gguf/types.js";
import { StreamingDetokenizer, Tokenizer } from "../../src/formats/tokenizer/index.js";
import { spmMerge, spmPieceBytes } from "../../src/formats/tokenizer/spm.js";
import { ATTR_BYTE, ATTR_CONTROL, ATTR_NORMAL, ATTR_UNUSED, ATTR_USER_DEFINED } from "../../src/formats/tokenizer/token-attrs.js";
import { UserError } from "../../src/errors.js";
import { bytesSource } from "../../src/io/byte-source.js";

const FIXTURE = new URL("../fixtures/spm/spm-vocab.gguf", import.meta.url);
const bytes: Uint8Array = readFileSync(FIXTURE);
const fixture = Tokenizer.fromMetadata(GGUFMetadata.of(await readGGUF(bytesSource("spm-vocab.gguf", bytes))));
const { test } = await import("node:test");

const scores = (table: Record<string, number>) => (t: string) => table[t];
const merge = (text: string, table: Record<string, number>) => spmMerge(Array.from(text), scores(table));

test("spmMerge: the highest score merges first, not the longest or leftmost piece", () => {
  assert.deepEqual(merge("abc", { ab: -1, bc: 0 }), ["a", "bc"]);
  assert.deepEqual(merge("abc", { ab: 0, bc: -1 }), ["ab", "c"]);
  // a merged symbol pairs again with its neighbours
  assert.deepEqual(merge("abc", { ab: -1, bc: 0, abc: -5 }), ["abc"]);
  // the greedy order can miss a longer piece: once "bc" is taken, "ab" + "cd" is not possible
  assert.deepEqual(merge("abcd", { bc: 0, ab: -1, cd: -1, abcd: 5 }), ["a", "bc", "d"]);
});

test("spmMerge: equal scores merge the leftmost pair first", () => {
  assert.deepEqual(merge("aaa", { aa: 0 }), ["aa", "a"]);
  assert.deepEqual(merge("aaaa", { aa: 0 }), ["aa", "aa"]);
  assert.deepEqual(merge("aaaaa", { aa: 0, aaa: -1 }), ["aa", "aaa"]);
  assert.deepEqual(merge("eet", { ee: -2.5, et: -2.5 }), ["ee", "t"]);
  assert.deepEqual(merge("eet", { ee: -2.5, et: -2.25 }), ["e", "et"]);
});

test("spmMerge: pairs queued before a neighbour merged are dropped", () => {
  // "ab" merges first; the queued "bc" (its left side is gone) and "abc" would-be pairs must not apply
  assert.deepEqual(merge("abcd", { ab: 0, bc: -1, cd: -2 }), ["ab", "cd"]);
  // a right side that grew since its pair was queued: "bc" then "cd"-less "bcd"; "ab" is stale for "a"+"bcd"
  assert.deepEqual(merge("abcd", { bc: 0, bcd: -1, ab: -3 }), ["a", "bcd"]);
});

test("spmMerge: one symbol per code point (astral characters stay whole), empty and single inputs", () => {
  assert.deepEqual(merge("", {}), []);
  assert.deepEqual(merge("x", {}), ["x"]);
  assert.deepEqual(merge("🚀🚀\u2581", { "🚀\u2581": 0 }), ["🚀", "🚀\u2581"]);
  assert.deepEqual(merge("xyz", {}), ["x", "y", "z"]);
});

test("spmPieceBytes: ▁ becomes a space in normal pieces only; bytes; unused is nothing", () => {
  const dec = (b: Uint8Array) => new TextDecoder().decode(b);
  assert.equal(dec(spmPieceBytes("\u2581Hello\u2581\u2581", ATTR_NORMAL)), " Hello  ");
  assert.equal(dec(spmPieceBytes("\u2581x", ATTR_USER_DEFINED)), "\u2581x");
  assert.equal(dec(spmPieceBytes("<|im_end|>", ATTR_CONTROL)), "<|im_end|>");
  assert.deepEqual(spmPieceBytes("<0xE5>", ATTR_BYTE), Uint8Array.of(0xe5));
  assert.equal(spmPieceBytes("[PAD9]", ATTR_UNUSED).length, 0);
});

// ---- synthetic vocabularies through Tokenizer.fromMetadata

const str = (value: string): GGUFEntry => ({ type: GGUFValueType.STRING, value });
const u32 = (value: number): GGUFEntry => ({ type: GGUFValueType.UINT32, value });
const bool = (value: boolean): GGUFEntry => ({ type: GGUFValueType.BOOL, value });
const arr = (itemType: GGUFValueType, items: (string | number)[]): GGUFEntry => ({ type: GGUFValueType.ARRAY, value: { itemType, items } });
const BYTES = Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);

/** <unk> <s> </s>, optionally the 256 byte tokens, then `pieces` with scores. */
function spmVocab(pieces: [string, number][], extra: Record<string, GGUFEntry> = {}, opts: { bytes?: boolean; types?: number[] } = {}) {
  const withBytes = opts.bytes ?? true;
  const tokens = ["<unk>", "<s>", "</s>", ...(withBytes ? BYTES : []), ...pieces.map((p) => p[0])];
  const types = opts.types ?? [2, 3, 3, ...(withBytes ? BYTES.map(() => 6) : []), ...pieces.map(() => 1)];
  const entries: Record<string, GGUFEntry> = {
    "tokenizer.ggml.model": str("llama"),
    "tokenizer.ggml.tokens": arr(GGUFValueType.STRING, tokens),
    "tokenizer.ggml.scores": arr(GGUFValueType.FLOAT32, [0, 0, 0, ...(withBytes ? BYTES.map(() => 0) : []), ...pieces.map((p) => p[1])]),
    "tokenizer.ggml.token_type": arr(GGUFValueType.INT32, types),
    ...extra,
  };
  for (const [k, v] of Object.entries(entries)) if (v === undefined) delete entries[k];
  return Tokenizer.fromMetadata(new GGUFMetadata("x.gguf", new Map(Object.entries(entries))));
}
const ID0 = 3 + 256; // first piece id when the byte tokens are present

test("SentencePiece defaults: unk 0, bos 1, eos 2, BOS added, space prefix on, newline = <0x0A>", () => {
  const tok = spmVocab([["\u2581hi", -1], ["hi", -1.5], ["\u2581", -2], ["h", -3], ["i", -4]]);
  assert.equal(tok.model, "llama");
  assert.deepEqual([tok.special.unk, tok.special.bos, tok.special.eos, tok.special.nl], [0, 1, 2, 3 + 0x0a]);
  assert.ok(tok.addBos && !tok.addEos);
  assert.deepEqual(tok.encode("hi"), [1, ID0]);
  assert.deepEqual(tok.encode("hi", { addSpecial: false }), [ID0]);
  assert.deepEqual(tok.encode("", { addSpecial: true }), [1]);
  assert.deepEqual(tok.encode("", { addSpecial: false }), []);
  // the space mark is taken off the first piece only
  assert.equal(tok.decode([ID0, ID0]), "hi hi");
  assert.equal(tok.decode([1, ID0], { removeSpecial: true }), " hi");
  assert.ok(tok.isEog(2) && !tok.isEog(1));
});

test("SentencePiece: ids from the file win, out-of-range ids fall back to the defaults, add flags", () => {
  const pieces: [string, number][] = [["\u2581hi", -1], ["hi", -1.5], ["\u2581", -2], ["h", -3], ["i", -4]];
  const tok = spmVocab(pieces, {
    "tokenizer.ggml.bos_token_id": u32(2), "tokenizer.ggml.eos_token_id": u32(99999),
    "tokenizer.ggml.add_bos_token": bool(true), "tokenizer.ggml.add_eos_token": bool(true),
    "tokenizer.ggml.add_space_prefix": bool(false),
  });
  assert.deepEqual([tok.special.bos, tok.special.eos], [2, 2]);
  assert.deepEqual(tok.encode("hi"), [2, ID0 + 1, 2]);
  assert.deepEqual(tok.encode(" hi", { addSpecial: false }), [ID0]);
  assert.equal(tok.decode([ID0]), " hi");
});

test("SentencePiece: byte fallback, and a one-character token stands in for a missing byte token", () => {
  const tok = spmVocab([["\u2581", -1]]);
  assert.deepEqual(tok.encode("é", { addSpecial: false }), [ID0, 3 + 0xc3, 3 + 0xa9]);
  assert.equal(tok.decode(tok.encode("é🚀\n\t", { addSpecial: false })), "é🚀\n\t");
  const noBytes = spmVocab([["\u2581", -1], ["\n", -2], ["a", -3]], {}, { bytes: false });
  assert.equal(noBytes.special.nl, 4);
  assert.deepEqual(noBytes.encode("a\n", { addSpecial: false }), [3, 5, 4]);
  assert.throws(() => noBytes.encode("b", { addSpecial: false }), (e: unknown) => e instanceof UserError && /no token for byte 0x62/.test(e.message));
  assert.equal(spmVocab([["a", 0]], {}, { bytes: false }).special.nl, null);
});

test("SentencePiece: without scores every pair ties, so merges go left to right", () => {
  const tok = spmVocab([["\u2581a", 0], ["aa", 0], ["\u2581", 0], ["a", 0]], { "tokenizer.ggml.scores": undefined as unknown as GGUFEntry });
  // "▁aaa": "▁a" (leftmost) merges first, then "aa"
  assert.deepEqual(tok.encode("aaa", { addSpecial: false }), [ID0, ID0 + 1]);
});

test("SentencePiece: integer scores are accepted; too few scores is a bad file", () => {
  const ok = spmVocab([["ab", 0], ["bc", 0], ["a", 0], ["b", 0], ["c", 0]], {
    "tokenizer.ggml.scores": arr(GGUFValueType.INT32, [0, 0, 0, ...BYTES.map(() => 0), -5, -1, 0, 0, 0]),
    "tokenizer.ggml.add_space_prefix": bool(false),
  });
  assert.deepEqual(ok.encode("abc", { addSpecial: false }), [ID0 + 2, ID0 + 1]);
  assert.throws(() => spmVocab([["a", 0]], { "tokenizer.ggml.scores": arr(GGUFValueType.FLOAT32, [0]) }), /1 token scores for 260 tokens/);
});

test("SentencePiece: text after a special or user-defined token gets the space prefix again", () => {
  const types = [2, 3, 3, ...BYTES.map(() => 6), 1, 1, 1, 4];
  const tok = spmVocab([["\u2581x", -1], ["x", -2], ["\u2581", -3], ["<u>", 0]], {}, { types });
  assert.deepEqual(tok.encode("x<u>x", { addSpecial: false }), [ID0, ID0 + 3, ID0]);
  assert.deepEqual(tok.encode("<s>x", { addSpecial: false, parseSpecial: true }), [1, ID0]);
  assert.deepEqual(tok.encode("<u>", { addSpecial: false }), [ID0 + 3]);
});

test("unsupported tokenizer models stay clear user errors", () => {
  for (const model of ["bert", "t5", "rwkv", "plamo2", "no_vocab"]) {
    const meta = new GGUFMetadata("x.gguf", new Map([["tokenizer.ggml.model", str(model)]]));
    assert.throws(() => Tokenizer.fromMetadata(meta),
      (e: unknown) => e instanceof UserError && e.message.includes(`tokenizer model "${model}" is not supported`) && /SentencePiece/.test(e.message));
  }
});

// ---- the fixture vocabulary (built by scripts/make-spm-vocab.ts)

test("fixture: encode then decode gives the text back (no special tokens in it)", () => {
  for (const text of ["Hello world", " leading", "two  spaces  ", "图片里有什么？", "emoji 🚀🦙 and é", "tab\tnew\nline", "\u2581mark"]) {
    const ids = fixture.encode(text);
    assert.equal(ids[0], fixture.special.bos);
    assert.equal(fixture.decode(ids, { removeSpecial: true }).slice(1), text.replaceAll("\u2581", " "), JSON.stringify(text));
    assert.equal(fixture.decode(ids.slice(1)), text.replaceAll("\u2581", " "), JSON.stringify(text));
  }
});

test("fixture: streaming detokenizer puts byte-fallback characters back together", () => {
  const text = "emoji 🚀🦙✅ and 日本語";
  const ids = fixture.encode(text, { addSpecial: false });
  const s = new StreamingDetokenizer(fixture);
  const chunks = ids.map((id) => s.push(id));
  chunks.push(s.flush());
  assert.equal(chunks.join(""), " " + text); // pieces keep the space prefix (no llama_detokenize strip)
  assert.ok(chunks.some((c) => c === ""), "some character was spread over several byte tokens");
  for (const c of chunks) assert.ok(!c.includes("\uFFFD"));
});

test("fixture: control tokens, user-defined tokens and end of generation", () => {
  const imEnd = fixture.tokenId("<|im_end|>")!;
  const ref = fixture.tokenId("<ref>")!;
  assert.ok(fixture.isEog(imEnd) && fixture.isEog(fixture.special.eos!) && !fixture.isEog(fixture.special.bos!));
  assert.equal(fixture.special.eot, imEnd);
  assert.ok(fixture.isControl(imEnd) && !fixture.isControl(ref));
  assert.deepEqual(fixture.encode("<|im_end|>", { addSpecial: false, parseSpecial: true }), [imEnd]);
  assert.ok(!fixture.encode("<|im_end|>", { addSpecial: false }).includes(imEnd));
  assert.deepEqual(fixture.encode("<ref>", { addSpecial: false }), [ref]);
  assert.equal(new TextDecoder().decode(fixture.tokenToPiece(imEnd, false)), "");
  assert.equal(new TextDecoder().decode(fixture.tokenToPiece(ref, false)), "<ref>");
});

test("fixture: encoding a few KB takes milliseconds", () => {
  const text = ("The quick brown fox jumps over the lazy dog. 图片里有什么？ 🚀 1234 function add(a, b) { return a + b; }\n").repeat(40);
  fixture.encode(text);
  const t0 = performance.now();
  const ids = fixture.encode(text);
  const ms = performance.now() - t0;
  assert.ok(ids.length > 1000);
  assert.ok(ms < 150, `encoding ${text.length} chars took ${ms.toFixed(1)} ms`);
});
