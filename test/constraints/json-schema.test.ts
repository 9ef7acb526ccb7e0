import { test } from "node:test";
import assert from "node:assert/strict";
import { UserError } from "../../src/errors.js";
import { compileSchema } from "../../src/runtime/constraints/schema-compile.js";
import { schemaOfResponseFormat } from "../../src/runtime/constraints/response-format.js";
import { validator } from "./ajv.js";
import { recognizer, verdict, type Verdict } from "./helpers.js";
import { ORDER, PERSON, SHAPES, TREE } from "./schemas.js";

/** Checks verdicts, and that every complete text also passes ajv. */
function expect(schema: object, cases: Record<string, Verdict>, ajvSchema = schema): void {
  const rec = recognizer(schema);
  const valid = validator(ajvSchema);
  for (const [text, want] of Object.entries(cases)) {
    assert.equal(verdict(rec, text), want, text);
    if (want === "complete") assert.ok(valid(JSON.parse(text)), `ajv rejects ${text}`);
  }
}

test("required properties must appear, in schema order, and no others", () => {
  expect(PERSON, {
    '{"name": "Ann", "age": 31, "tags": ["red"]}': "complete",
    '{"name":"Ann","age":31,"height":1.7,"email":null,"tags":["red","blue"]}': "complete",
    '{"name": "Ann", "age": 151': "reject",
    '{"name": "Ann", "age": 31, "height": 0.5,': "reject",
    '{"name": "Ann", "age": 31, "email": "a@b.c", "tags": ["red"]}': "complete",
    '{"name": "Ann", "age": 31}': "reject",           // tags is required
    '{"age": 31, "name": "Ann", "tags": ["red"]}': "reject", // order
    '{"name": "Ann", "age": 31, "tags": ["red"], "x": 1}': "reject", // additionalProperties false
    '{"name": "", "age": 31, "tags": ["red"]}': "reject", // minLength 1
    '{"name": "Ann Ann Ann Ann", "age": 1, "tags": ["red"]}': "reject", // maxLength 12
    '{"name": "Ann", "age": 31, "tags": []}': "reject", // minItems 1
    '{"name": "Ann", "age": 31, "tags": ["red","red","red","red"]}': "reject", // maxItems 3
    '{"name": "Ann", "age": 31, "tags": ["pink"]}': "reject", // enum
    '{"name": "Ann", "age": 31.5, "tags": ["red"]}': "reject", // integer
    '{"name": "Ann", "age": 1e3, "tags": ["red"]}': "reject",
    '{"name": "Ann", "age": 3, "height": 1e0, "tags": ["red"]}': "reject", // bounded numbers have no exponent
    '{"name": "Ann", "age": 3, "tags": ["green"': "prefix",
    '{"name": "Ann", "age": 3, "email": true': "reject",
  });
});

test("string lengths count code points (surrogate pairs and 4-byte UTF-8 are one)", () => {
  expect({ type: "string", minLength: 2, maxLength: 2 }, {
    '"ab"': "complete", '"a"': "reject", '"abc"': "reject", '"😀😀"': "complete", '"\\ud83d\\ude00x"': "complete",
    '"\\n\\u0041"': "complete", '"中文字"': "reject",
  });
});

test("$ref, nested arrays of objects, anyOf, const", () => {
  expect(ORDER, {
    '{"id": "order", "items": [{"sku": "A1", "qty": 2}], "payment": null}': "complete",
    '{"id":"order","items":[{"sku":"A1","qty":2,"gift":true},{"sku":"B","qty":1}],"matrix":[[1,2.5],[]],"payment":{"card":"1234"}}': "complete",
    '{"id": "order", "items": [{"sku": "A1", "qty": 2}], "payment": {"iban": "DE00"}}': "complete",
    '{"id": "order", "items": [{"sku": "A1", "qty": 2}], "payment": {"card": "12345"}}': "reject",
    '{"id": "order", "items": [{"sku": "A1", "qty": 2}], "payment": {"card": "1234", "iban": "x"}}': "reject",
    '{"id": "other"': "reject",
    '{"id": "order", "items": [], "payment": null}': "reject",
    '{"id": "order", "items": [{"qty": 2}], "payment": null}': "reject",
    '{"id": "order", "items": [{"sku": "A1", "qty": 2}], "matrix": [[1,2,3,4]], "payment": null}': "reject",
  });
});

test("recursive $ref is bounded by depth", () => {
  expect(TREE, {
    '{"value": 1}': "complete",
    '{"value": 1, "children": [{"value": 2, "children": []}, {"value": 3}]}': "complete",
    '{"value": 1, "children": [{"value": 2}, {"value": 3}, {"value": 4}]}': "reject",
    '{"children": []}': "reject",
  });
  const shallow = recognizer(TREE, { maxDepth: 3 });
  assert.equal(verdict(shallow, '{"value": 1, "children": [{"value": 2}]}'), "complete");
  assert.equal(verdict(shallow, '{"value": 1, "children": [{"value": 2, "children": ['), "reject");
});

test("oneOf with a discriminator, enums of mixed values, tuples", () => {
  expect(SHAPES, {
    '{"shapes": [{"kind": "circle", "r": 1}, {"kind": "rect", "w": 2, "h": 3}], "mixed": 12, "pair": ["a", 1]}': "complete",
    '{"shapes": [], "mixed": 1, "pair": ["a", 1]}': "complete",
    '{"shapes": [], "mixed": {"x":[1,2]}, "pair": ["a", 1]}': "complete",
    '{"shapes": [], "mixed": true, "pair": ["a", 1]}': "complete",
    '{"shapes": [], "mixed": 123': "reject",
    '{"shapes": [], "mixed": 2': "reject",
    '{"shapes": [{"kind": "circle", "w": 1': "reject",
    '{"shapes": [], "mixed": null, "pair": ["a"]}': "reject",
    '{"shapes": [], "mixed": null, "pair": ["a", 1, 2]}': "reject",
    '{"shapes": [], "mixed": null, "pair": [1, 1]}': "reject",
  });
});

test("type unions, boolean schemas, json_object, inferred types", () => {
  expect({ type: ["integer", "boolean", "null"] }, { "3": "complete", "true": "complete", "null": "complete", "3.5": "reject", '"a"': "reject" });
  expect({ type: "json_object" }, { '{"a": [1, {"b": null}]}': "complete", "[]": "reject", "1": "reject" }, { type: "object" });
  expect({ type: "object", additionalProperties: { type: "integer" } }, { '{"a": 1, "b": 2}': "complete", '{"a": "x"}': "reject" });
  expect({ type: "object", additionalProperties: false }, { "{}": "complete", '{"a"': "reject" });
  expect({ properties: { a: { type: "string" } }, required: ["a", "b"] }, { '{"a": "x", "b": [true]}': "complete", '{"a": "x"}': "reject" });
  expect({ type: "object", properties: { a: true, b: false } }, { '{"a": [1]}': "complete", '{"b"': "reject" });
  expect({ anyOf: [{ type: "string", maxLength: 1 }, { type: "string", minLength: 3 }] }, { '"a"': "complete", '"abc"': "complete", '"ab"': "reject" });
  expect({ anyOf: [{ const: 1 }, { type: "integer" }] }, { "1": "complete", "12": "complete" });
  expect({ allOf: [{ type: "boolean" }], title: "t" }, { "false": "complete", "0": "reject" });
  expect({ enum: ["a", 1, null], type: "string" }, { '"a"': "complete", "1": "reject" });
  assert.equal(verdict(recognizer(true), "[1]"), "complete");
});

test("unsupported or impossible schemas throw UserError naming the place", () => {
  const refused: [unknown, RegExp][] = [
    [{ type: "string", pattern: "^a" }, /"pattern" is not supported/],
    [{ type: "object", properties: { n: { type: "integer", multipleOf: 2 } } }, /#\/properties\/n: "multipleOf"/],
    [{ allOf: [{ type: "string" }, { maxLength: 3 }] }, /allOf/],
    [{ oneOf: [{ type: "string" }, { type: "string", maxLength: 2 }] }, /oneOf alternatives 0 and 1/],
    [{ oneOf: [{ type: "integer" }, { type: "number" }] }, /oneOf/],
    [{ $ref: "https://example.com/s.json" }, /local \$ref/],
    [{ $ref: "#/$defs/missing" }, /points to nothing/],
    [{ type: "strin" }, /unknown type/],
    [{ type: "string", minLength: 3, maxLength: 2 }, /minLength 3/],
    [{ type: "array", minItems: 3, maxItems: 2 }, /minItems 3/],
    [{ type: "array", prefixItems: [{ type: "string" }], items: false, minItems: 2 }, /minItems 2/],
    [{ enum: [] }, /enum/],
    [{ type: "object", properties: { a: false }, required: ["a"] }, /required property "a" allows no value/],
    [{ type: "object", additionalProperties: false, required: ["a"] }, /not among the allowed/],
    [{ $defs: { a: { $ref: "#/$defs/b" }, b: { $ref: "#/$defs/a" } }, $ref: "#/$defs/a" }, /cycle/],
    [{ type: "object", properties: { self: { $ref: "#" } }, required: ["self"] }, /no finite JSON value/],
    [{ type: "array", uniqueItems: true }, /uniqueItems/],
    [{ type: "object", minProperties: 1 }, /minProperties/],
    [{ type: "string", anyOf: [{ maxLength: 1 }] }, /together with "type"/],
    [false, /allows no value/],
    [{ enum: ["a"], type: "integer" }, /allows no value/],
    ["string", /must be an object/],
  ];
  for (const [schema, msg] of refused) {
    assert.throws(() => recognizer(schema as object), (e: unknown) => e instanceof UserError && e.code === "bad_argument" && msg.test(e.message), JSON.stringify(schema));
  }
});

test("harmless keywords are ignored", () => {
  const s = { type: "string", format: "date-time", title: "t", description: "d", default: "x", examples: ["y"], $schema: "https://json-schema.org/draft/2020-12/schema", "x-custom": 1 };
  assert.equal(verdict(recognizer(s), '"anything"'), "complete");
  assert.equal(compileSchema({ type: "integer", $comment: "c" }).kind, "number");
});

test("response_format maps to a schema", () => {
  assert.equal(schemaOfResponseFormat({ type: "text" }), undefined);
  assert.deepEqual(schemaOfResponseFormat({ type: "json_object" }), { type: "object" });
  assert.equal(schemaOfResponseFormat({ type: "json_schema", json_schema: { name: "p", schema: PERSON } }), PERSON);
  assert.throws(() => schemaOfResponseFormat({ type: "xml" }), UserError);
});

test("minimum/maximum (inclusive and exclusive) are decided exactly on the decimal text", () => {
  expect({ type: "integer", minimum: 1, maximum: 5 }, {
    "1": "complete", "5": "complete", "3": "complete", "0": "reject", "6": "reject", "-1": "reject", "12": "reject", "1.0": "reject",
  });
  expect({ type: "number", exclusiveMinimum: 0.1, maximum: 0.3 }, {
    "0.2": "complete", "0.3": "complete", "0.10000000000001": "complete", "0.1": "prefix", "0.30000000000001": "reject",
    "0": "prefix", "0.05": "reject", "1": "reject", "-0.2": "reject", "2e-1": "reject",
  });
  expect({ type: "number", minimum: -2.5, maximum: -2.5 }, { "-2.5": "complete", "-2.50": "complete", "-2": "prefix", "-3": "reject" });
  expect({ type: "integer", minimum: -3, exclusiveMaximum: 0 }, { "-3": "complete", "-1": "complete", "0": "reject", "-0": "reject", "-4": "reject" });
  expect({ type: "integer", maximum: 10, minimum: 0, exclusiveMinimum: true }, { "1": "complete", "0": "reject", "10": "complete" }, { type: "integer", maximum: 10, exclusiveMinimum: 0 }); // draft 4 style
  expect({ type: "number", minimum: 0 }, { "0": "complete", "-0": "complete", "123456789012345": "complete", "1234567890123456": "reject", "1.5e3": "reject" });
  expect({ type: "object", properties: { score: { type: "integer", minimum: 1, maximum: 10 } }, required: ["score"] }, { '{"score": 10}': "complete", '{"score": 11': "reject" });
  assert.throws(() => recognizer({ type: "integer", minimum: 0.2, maximum: 0.8 }), /no integer/);
  assert.throws(() => recognizer({ type: "number", minimum: 1e20 }), /no number/);
  assert.throws(() => recognizer({ type: "number", maximum: "3" }), /finite number/);
});
