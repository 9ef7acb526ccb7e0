import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../src/runtime/rng.js";
import { UserError } from "../../src/errors.js";
import { JsonRecognizer } from "../../src/runtime/constraints/recognizer.js";
import { firstRejected, recognizer, verdict } from "./helpers.js";

// Valid texts, many from JSONTestSuite's y_ cases (within the recogniser's whitespace and digit caps).
const VALID = [
  "[[]   ]", '[""]', "[]", '["a"]', "[false]", '[null, 1, "1", {}]', "[null]", "[1\n]", " [1]", "[1,null,null,null,2]",
  "[2] ", "[123e65]", "[0e+1]", "[0e1]", "[ 4]", "[20e1]", "[-0]", "[-123]", "[-1]", "[1E22]", "[1E-2]", "[1E+2]",
  "[123.456e78]", "[1e-2]", "[123.456789]", "[-0.000000001]", '{"asd":"sdf", "dfg":"fgh"}', '{"a":"b","a":"c"}', "{}",
  '{"":0}', '{"foo\\u0000bar": 42}', '{ "min": -1.0e+28, "max": 1.0e+28 }', '{"x":[{"id": "xxx"}], "id": "xxx"}',
  '{"a":[]}', '["\\u0060\\u012a\\u12AB"]', '["\\uD801\\udc37"]', '["\\ud83d\\ude39\\ud83d\\udc8d"]',
  '["\\"\\\\\\/\\b\\f\\n\\r\\t"]', '["\\\\u0000"]', '["\\""]', '["a/*b*/c/*d//e"]', '["\\\\a"]', '["\\u0012"]',
  '["\\uFFFF"]', '["\\uDBFF\\uDFFF"]', '["new\\u00A0line"]', '["\u{10FFFF}"]', '["\uFFFF"]', '["π"]', '["\u{1BFFF}"]',
  '["asd "]', '" "', '["\\u2028"]', '["\u2028\u2029"]', '["⍂㈴⍂"]', '["€𝄞"]', '["\x7f"]', "false", "42", "-0.1", "null",
  '"asd"', "true", '""', '["a"]\n', "[true]", " [] ", "0", "-0", "1.5E-07", '{"a":{"b":{"c":[[{"d":null}]]}}}',
  '[\n  {\n    "a": 1,\n    "b": [\n      2\n    ]\n  }\n]', "\t{\"k\" : true }",
];

// Invalid texts, from JSONTestSuite's n_ cases and lone surrogates (i_ cases: refused on purpose).
const INVALID = [
  "[1 true]", '["": 1]', '[""],', "[,1]", "[1,,2]", '["x",,]', '["x"]]', '["",]', "[3[4]]", "[1:2]", "[,]", "[-]",
  '[   , ""]', "[1,]", "[*]", '["a\nb"]', '["a\tb"]', "[++1234]", "[+1]", "[+Inf]", "[-01]", "[-1.0.]", "[-2.]", "[-NaN]",
  "[.-1]", "[.2e-3]", "[0.1.2]", "[0.3e+]", "[0.3e]", "[0.e1]", "[0E+]", "[0E]", "[1.0e+]", "[1eE2]", "[2.e+3]",
  "[Inf]", "[NaN]", "[012]", "[-012]", "[1.2a-3]", "[0x1]", "[Infinity]", "[1.]", '{"a":"a" 123}', "{key: 'value'}",
  '{"a" b}', '{:"b"}', '{"a" "b"}', "{1:1}", "{null:null}", '{"id":0,,,,,}', "{'a':0}", '{"id":0,}', '{"a":"b"}/**/',
  '{"a":"b"}#', '{"a":"b",,"c":"d"}', '{"a":"b"}}', '{ "foo" : "bar", "a" }', '["\\uD800\\"]', '["\\uD800\\u"]',
  '["\\uD800\\u1"]', '["\\uD800\\u1x"]', '["\\uD800"]', '["\\uDADA"]', '["\\uDC00"]', '["\\uD800\\uD800"]', "[é]",
  '["\x00"]', '["\\\x00"]', '["\\x"]', '["\\u00A"]', '["\\a"]', '["\\uqqqq"]', '"\\UA66D"', "abc", "[True]", "truth",
  "[1]x", "[]]", "]", "}", "[][]", "2@", "{}}", "[1]1", '["a" "b"]', "'a'", "nulll", "[1,2,3,]", "-", "01",
  '{"a":1 "b":2}', "{,}", "[\x0b]", "\ufeff[]",
];

test("valid JSON texts are accepted byte by byte and complete at the end", () => {
  const rec = recognizer();
  for (const t of VALID) {
    assert.equal(firstRejected(rec, t), -1, `rejected a byte of ${JSON.stringify(t)}`);
    assert.equal(verdict(rec, t), "complete", JSON.stringify(t));
    JSON.parse(t); // the table itself is right
  }
});

test("invalid JSON texts are rejected, and never reported complete", () => {
  const rec = recognizer();
  for (const t of INVALID) assert.notEqual(verdict(rec, t), "complete", JSON.stringify(t));
  // the ones that are not a prefix of anything valid are cut at a byte
  for (const t of ["[1 true]", "[,1]", "[-01]", "{key: 'value'}", '{"id":0,}', '["\\uD800\\u1x"]', "[True]", '["\\uDC00"]']) {
    assert.equal(verdict(rec, t), "reject", JSON.stringify(t));
  }
});

test("prefixes of valid texts are prefixes, not complete values", () => {
  const rec = recognizer();
  for (const t of ["[", '{"a', '{"a":', "tru", "-", "1.", "1e", "1e+", '"\\u00', '"\\ud83d', '"\\ud83d\\u', '{"a":1,', "[1,"]) {
    assert.equal(verdict(rec, t), "prefix", t);
  }
  // a number may end, but may also go on
  const s = rec.feed(rec.initial, new TextEncoder().encode("12"))!;
  assert.ok(rec.acceptsEnd(s) && !rec.isClosed(s));
  assert.ok(rec.isClosed(rec.feed(s, [0x20])!));
});

test("UTF-8 is checked byte by byte, including characters cut across tokens", () => {
  const rec = recognizer();
  const str = (...b: number[]) => new Uint8Array([0x22, ...b, 0x22]);
  assert.equal(verdict(rec, str(0xe4, 0xb8, 0xad)), "complete"); // 中
  assert.equal(verdict(rec, new Uint8Array([0x22, 0xe4, 0xb8])), "prefix"); // cut inside the character
  assert.equal(verdict(rec, str(0xf0, 0x9f, 0x98, 0x80)), "complete"); // 😀
  for (const bad of [[0xff], [0x81], [0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xe4, 0x22], [0xc3]]) {
    assert.equal(verdict(rec, str(...bad)), "reject", bad.map((b) => b.toString(16)).join(" "));
  }
});

test("whitespace runs are capped, and the cap can be set", () => {
  const rec = recognizer();
  assert.equal(verdict(rec, "  1"), "complete");
  assert.equal(verdict(rec, "   1"), "reject"); // 3 at the top level
  assert.equal(verdict(rec, "[\n    1]"), "complete"); // indentation inside a container
  assert.equal(verdict(rec, "[\n\n\n1]"), "reject"); // at most 2 newlines in a row
  assert.equal(verdict(rec, "[1" + " ".repeat(7) + "]"), "reject");
  const compact = recognizer(undefined, { maxWhitespace: 0 });
  assert.equal(verdict(compact, '{"a":[1,2]}'), "complete");
  assert.equal(verdict(compact, '{"a": 1}'), "reject");
  assert.throws(() => recognizer(undefined, { maxWhitespace: -1 }), UserError);
});

test("digit runs and nesting are capped so a model cannot loop forever", () => {
  const rec = recognizer();
  assert.equal(verdict(rec, "1".repeat(20)), "complete");
  assert.equal(verdict(rec, "1".repeat(21)), "reject");
  assert.equal(verdict(rec, "1e999"), "reject"); // 2 exponent digits keep the value finite
  assert.equal(verdict(rec, "[".repeat(32) + "]".repeat(32)), "complete");
  assert.equal(verdict(rec, "[".repeat(33)), "reject");
  const shallow = recognizer(undefined, { maxDepth: 2 });
  assert.equal(verdict(shallow, '{"a":[1]}'), "complete");
  assert.equal(verdict(shallow, '{"a":[[1]]}'), "reject");
  assert.equal(verdict(shallow, '{"a":[{}]}'), "reject");
});

test("states are snapshots: stepping one does not change another", () => {
  const rec = new JsonRecognizer();
  const enc = new TextEncoder();
  const a = rec.feed(rec.initial, enc.encode('{"k": ['))!;
  const b = rec.feed(a, enc.encode("1]}"))!;
  const c = rec.feed(a, enc.encode('"x", 2]}'))!;
  assert.ok(rec.acceptsEnd(b) && rec.acceptsEnd(c) && !rec.acceptsEnd(a));
  assert.equal(rec.feed(a, enc.encode("}")), null);
});

/** A random JSON value, and its text with random (capped) whitespace. */
function randomJson(rng: Rng, depth: number): string {
  const r = rng.next();
  const int = (n: number) => Math.floor(rng.next() * n);
  const ws = () => [" ", "", "\n  ", "\t", ""][int(5)];
  if (depth > 3 || r < 0.3) {
    const atoms = ["0", "-0", "12", "-3.25", "1e5", "2.5E-3", "true", "false", "null", '""', '"a\\"b"', '"\\u00e9x"', '"中文"', '"\\ud83d\\ude00"', '"tab\\t"'];
    return atoms[int(atoms.length)];
  }
  if (r < 0.65) {
    const n = int(4);
    return "[" + ws() + Array.from({ length: n }, () => randomJson(rng, depth + 1)).join(ws() + "," + ws()) + ws() + "]";
  }
  const n = int(4);
  return "{" + ws() + Array.from({ length: n }, (_, i) => `"k${i}"` + ws() + ":" + ws() + randomJson(rng, depth + 1)).join("," + ws()) + ws() + "}";
}

test("random valid JSON is accepted; random byte soup is complete only when JSON.parse agrees", () => {
  const rec = recognizer();
  const rng = new Rng(7);
  for (let i = 0; i < 2000; i++) {
    const t = randomJson(rng, 0);
    assert.equal(verdict(rec, t), "complete", t);
  }
  const alphabet = ['{', '}', '[', ']', '"', ':', ',', '0', '1', '-', '.', 'e', '+', ' ', 't', 'r', 'u', 'e', 'n', 'l', '\\', 'u', 'a', 'D', '8'];
  let complete = 0;
  for (let i = 0; i < 20000; i++) {
    const len = 1 + Math.floor(rng.next() * 8);
    const t = Array.from({ length: len }, () => alphabet[Math.floor(rng.next() * alphabet.length)]).join("");
    if (verdict(rec, t) !== "complete") continue;
    complete++;
    assert.doesNotThrow(() => JSON.parse(t), t);
  }
  assert.ok(complete > 100, `only ${complete} complete texts`);
});
