import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { validator } from "../constraints/ajv.js";
import { startTestServer, type TestServer } from "./helpers.js";

// response_format is enforced by grammar-masked sampling: even a model with random weights answers
// with JSON that parses and satisfies the schema.
let t: TestServer;
before(async () => { t = await startTestServer(); });
after(async () => { await t.close(); });

const schema = {
  type: "object",
  properties: {
    color: { enum: ["red", "green", "blue"] },
    count: { type: "integer" },
    visible: { type: "boolean" },
    label: { type: "string", maxLength: 12 },
    tags: { type: "array", items: { enum: ["a", "b"] }, maxItems: 3 },
  },
  required: ["color", "count", "visible", "label", "tags"],
  additionalProperties: false,
};
const messages = [{ role: "user" as const, content: "Describe the picture as JSON." }];
const format = { type: "json_schema" as const, json_schema: { name: "scene", schema, strict: true } };

test("json_schema: the answer parses and validates (ajv), non-streaming and streaming alike", async () => {
  const valid = validator(schema);
  const r = await t.client.chat.completions.create({ model: "default", messages, max_tokens: 400, temperature: 0, response_format: format });
  assert.equal(r.choices[0].finish_reason, "stop");
  const value = JSON.parse(r.choices[0].message.content!);
  assert.ok(valid(value), `valid against the schema: ${r.choices[0].message.content}`);

  const stream = await t.client.chat.completions.create({ model: "default", messages, max_tokens: 400, temperature: 0, response_format: format, stream: true });
  let text = "";
  for await (const c of stream) text += c.choices[0]?.delta.content ?? "";
  assert.equal(text, r.choices[0].message.content);
});

test("json_schema with sampling (several seeds) still validates", async () => {
  const valid = validator(schema);
  for (const seed of [1, 2, 3]) {
    const r = await t.client.chat.completions.create({ model: "default", messages, max_tokens: 400, temperature: 1, seed, response_format: format });
    assert.equal(r.choices[0].finish_reason, "stop");
    assert.ok(valid(JSON.parse(r.choices[0].message.content!)), r.choices[0].message.content!);
  }
});

test("json_object: the answer is one JSON object", async () => {
  // any object: with random weights a string may run on for long; this greedy answer closes within 600 tokens
  const r = await t.client.chat.completions.create({ model: "default", messages: [{ role: "user", content: "Describe the image as JSON." }], max_tokens: 600, temperature: 0, response_format: { type: "json_object" } });
  assert.equal(r.choices[0].finish_reason, "stop");
  const value = JSON.parse(r.choices[0].message.content!);
  assert.equal(typeof value, "object");
  assert.ok(value !== null && !Array.isArray(value));
});

test("response_format text is no constraint; a schema the decoder refuses is a 400 naming the field", async () => {
  const plain = await t.client.chat.completions.create({ model: "default", messages, max_tokens: 6, temperature: 0 });
  const text = await t.client.chat.completions.create({ model: "default", messages, max_tokens: 6, temperature: 0, response_format: { type: "text" } });
  assert.equal(text.choices[0].message.content, plain.choices[0].message.content);
  await assert.rejects(
    t.client.chat.completions.create({ model: "default", messages, response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "strin" } } } }),
    (e: unknown) => {
      assert.ok(e instanceof OpenAI.BadRequestError);
      assert.equal(e.code, "invalid_response_format");
      assert.equal(e.param, "response_format.json_schema.schema");
      assert.match(e.message, /strin/);
      return true;
    },
  );
});
