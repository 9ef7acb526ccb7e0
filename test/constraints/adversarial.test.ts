import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../src/runtime/rng.js";
import { createJsonConstraint, type JsonConstraint } from "../../src/runtime/constraints/json-constraint.js";
import { validator } from "./ajv.js";
import { ALL } from "./schemas.js";
import { toyVocab } from "./toy-vocab.js";

const vocab = toyVocab();
const isMulti = new Uint8Array(vocab.size);
for (const id of vocab.multi) isMulti[id] = 1;
const decoder = new TextDecoder("utf-8", { fatal: true });
// the finisher's byte preferences: close what is open, else the smallest thing that fits
const FINISH = [...'"}]0,:ntf'].map((c) => c.charCodeAt(0));

function allowedIds(c: JsonConstraint): number[] {
  const m = c.allowedMask();
  const ids: number[] = [];
  for (let i = 0; i < m.length; i++) if (m[i]) ids.push(i);
  return ids;
}

/** Every id checked on its own: what the mask must equal. */
function bruteForce(c: JsonConstraint): number[] {
  const ids: number[] = [];
  for (let id = 0; id < vocab.size; id++) {
    if (vocab.eogIds.includes(id)) { if (c.acceptsEnd) ids.push(id); continue; }
    if (vocab.isSpecial(id) || vocab.pieces[id].length === 0) continue;
    if (c.recognizer.feed(c.state, vocab.pieces[id]) !== null) ids.push(id);
  }
  return ids;
}

/**
 * One adversarial run: random allowed tokens (often the multi-byte ones) for a random budget, then a
 * finisher that closes what is open. Returns the text, or null if it did not finish.
 */
function run(schema: object | undefined, rng: Rng, crossCheck: boolean): { text: string; tokens: number[] } | null {
  const c = createJsonConstraint(vocab, schema);
  const bytes: number[] = [];
  const tokens: number[] = [];
  const budget = Math.floor(rng.next() * 300);
  for (let step = 0; step < budget + 3000; step++) {
    const ids = allowedIds(c);
    if (ids.length === 0) assert.fail(`dead end after ${JSON.stringify(new TextDecoder().decode(new Uint8Array(bytes)))}`);
    if (crossCheck) assert.deepEqual(ids, bruteForce(c));
    assert.ok(ids.every((id) => !vocab.isSpecial(id) || vocab.eogIds.includes(id)));
    let id: number;
    if (step < budget) {
      const multi = ids.filter((i) => isMulti[i] === 1);
      const pool = multi.length > 0 && rng.next() < 0.5 ? multi : ids;
      id = pool[Math.floor(rng.next() * pool.length)];
    } else {
      const eog = ids.find((i) => vocab.eogIds.includes(i));
      id = eog ?? FINISH.find((b) => ids.includes(b)) ?? ids[0];
    }
    assert.ok(c.allows(id));
    c.accept(id);
    tokens.push(id);
    if (vocab.eogIds.includes(id)) { assert.ok(c.complete); break; }
    bytes.push(...vocab.pieces[id]);
    if (c.complete) break;
  }
  if (!c.complete) return null;
  return { text: decoder.decode(new Uint8Array(bytes)), tokens };
}

for (const [name, schema] of [["any JSON", undefined], ...Object.entries(ALL)] as [string, object | undefined][]) {
  test(`adversarial generation always ends in valid JSON: ${name}`, () => {
    const valid = validator(schema === undefined ? true : name === "JSON_OBJECT" ? { type: "object" } : schema);
    const rng = new Rng(name.length * 7919 + 1);
    const runs = 600;
    const seen = new Set<string>();
    for (let r = 0; r < runs; r++) {
      const out = run(schema, rng, r % 20 === 0);
      assert.ok(out, `run ${r} did not finish`);
      let value: unknown;
      assert.doesNotThrow(() => { value = JSON.parse(out.text); }, out.text);
      assert.ok(valid(value), `invalid against the schema: ${out.text}`);
      seen.add(out.text);
      if (process.env.SHOW_JSON && r < 8) console.log(JSON.stringify(out.text));
    }
    assert.ok(seen.size > runs / 2, `only ${seen.size} distinct outputs`); // the runs really differ
  });
}

test("a top-level number may end with an end-of-generation token", () => {
  const c = createJsonConstraint(vocab, { type: "integer" });
  for (const b of "12") { assert.ok(!c.allows(vocab.eogIds[0]) || b === "2"); c.accept(b.charCodeAt(0)); }
  assert.ok(c.allows(vocab.eogIds[0]) && !c.complete);
  assert.ok(c.allows(0x33)); // ...or go on
  c.accept(vocab.eogIds[0]);
  assert.ok(c.complete);
});

test("special tokens, empty tokens and early end tokens are refused", () => {
  const c = createJsonConstraint(vocab, undefined);
  assert.ok(!c.allows(vocab.specials[0]) && !c.allows(vocab.eogIds[0]) && !c.allows(vocab.size - 4));
  assert.throws(() => c.accept(vocab.eogIds[0]), /before the JSON value is complete/);
  assert.throws(() => c.accept(vocab.specials[0]), /not allowed/);
  c.accept(0x7b);
  const snapshot = c.clone();
  c.accept(0x7d);
  assert.ok(c.complete && !snapshot.complete);
  assert.ok(snapshot.allows(0x22) && !snapshot.allows(0x5d));
});
