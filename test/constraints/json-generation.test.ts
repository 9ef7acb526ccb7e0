import { test } from "node:test";
import assert from "node:assert/strict";
import { generateAll } from "../../src/runtime/generation.js";
import { createJsonConstraint } from "../../src/runtime/constraints/json-constraint.js";
import type { ConstraintVocab } from "../../src/runtime/constraints/token-trie.js";
import { byteText, countingModel } from "../runtime/counting-model.js";
import { validator } from "./ajv.js";

// The counting model's vocabulary: ids < 256 are bytes, 256..298 special, 299 ends generation.
const vocab: ConstraintVocab = {
  size: 300,
  piece: (id) => byteText.tokenToPiece(id),
  isSpecial: (id) => id >= 256,
  eogIds: [299],
};

const SCHEMA = {
  type: "object",
  properties: {
    n: { type: "integer" },
    word: { type: "string", maxLength: 4 },
    flags: { type: "array", items: { type: "boolean" }, maxItems: 3 },
    color: { enum: ["red", "green"] },
  },
  required: ["n", "word", "flags", "color"],
  additionalProperties: false,
};

const prompt = (id: number) => [{ kind: "tokens" as const, ids: [id] }];

test("greedy generation under a JSON constraint ends with valid JSON (the model alone would not)", async () => {
  const m = countingModel();
  const free = await generateAll(m, m.newCache(), prompt(0x7a), byteText, { maxTokens: 40 });
  assert.throws(() => JSON.parse(free.text));
  const c = createJsonConstraint(vocab, SCHEMA);
  const r = await generateAll(m, m.newCache(), prompt(0x7a), byteText, { maxTokens: 300, constraint: c });
  assert.equal(r.finishReason, "stop");
  assert.ok(c.complete);
  assert.ok(validator(SCHEMA)(JSON.parse(r.text)), r.text);
  assert.ok(r.text.startsWith("{")); // the model wanted "{" after "z", and it was allowed
});

test("sampled generation under a JSON constraint always stops with schema-valid JSON", async () => {
  const valid = validator(SCHEMA);
  for (let seed = 1; seed <= 40; seed++) {
    const m = countingModel();
    const c = createJsonConstraint(vocab, SCHEMA);
    const r = await generateAll(m, m.newCache(), prompt(seed), byteText, {
      maxTokens: 1000, constraint: c, sampling: { temperature: 1.5, topK: 0, topP: 1, minP: 0, seed },
    });
    assert.equal(r.finishReason, "stop", r.text);
    assert.ok(valid(JSON.parse(r.text)), r.text);
  }
});

test("a top-level number ends at the end-of-generation token", async () => {
  const m = countingModel();
  // after "0" the model wants "1","2",...; the EOG token only wins once allowed and preferred:
  // prompt 297 makes the model prefer 298 (special, refused) then 299 (EOG) right away
  const c = createJsonConstraint(vocab, { type: "integer" });
  c.accept(0x37); // "7": a complete integer, so EOG is allowed
  const r = await generateAll(m, m.newCache(), prompt(297), byteText, { maxTokens: 10, constraint: c });
  assert.deepEqual(r.tokens, [299]);
  assert.equal(r.finishReason, "stop");
  assert.ok(c.complete);
});
