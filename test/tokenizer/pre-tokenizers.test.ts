import { test } from "node:test";
import assert from "node:assert/strict";
import { preTokenize, preTokenizerFor } from "../../src/formats/tokenizer/pre-tokenizers.js";
import { collapsePattern } from "../../src/formats/tokenizer/split-regex.js";
import { codePoints } from "../../src/formats/tokenizer/unicode.js";

function pieces(pre: string, text: string): string[] {
  const cpts = codePoints(text);
  const out: string[] = [];
  let at = 0;
  for (const len of preTokenize(preTokenizerFor(pre, "test"), cpts)) {
    out.push(String.fromCodePoint(...cpts.slice(at, at + len)));
    at += len;
  }
  return out;
}

test("gpt2 split: contractions, ' ?' words, trailing-space rule", () => {
  assert.deepEqual(pieces("gpt-2", "Hello world's  test 123!!"), ["Hello", " world", "'s", " ", " test", " 123", "!!"]);
  assert.deepEqual(pieces("gpt-2", "I'M ok  "), ["I", "'", "M", " ok", "  "]);
});

test("llama3 split: case-insensitive contractions, 3-digit groups, newline runs", () => {
  assert.deepEqual(pieces("llama-bpe", "I'M 12345\n\n  x"), ["I", "'M", " ", "123", "45", "\n\n", " ", " x"]);
  assert.deepEqual(pieces("llama-bpe", "a.\r\nb"), ["a", ".\r\n", "b"]);
});

test("qwen2 split: single digits, letters with one leading non-letter", () => {
  assert.deepEqual(pieces("qwen2", "abc 123 日本語!"), ["abc", " ", "1", "2", "3", " 日本語", "!"]);
});

test("default split: punctuation first, then GPT-2 words, then numbers in threes", () => {
  assert.deepEqual(pieces("default", "price: $1234"), ["price", ":", " ", "$", "123", "4"]);
});

test("category classes are collapsed to stand-ins plus ASCII members", () => {
  assert.equal(collapsePattern("\\p{N}+"), "[\\xD10-9]+");
  assert.equal(collapsePattern("[^\\s\\p{L}]"), "[^\\s\\xD2A-Za-z]");
});
