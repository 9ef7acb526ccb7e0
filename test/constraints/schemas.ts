/** Schemas shared by the schema and generation tests: what structured-output callers send. */

export const PERSON = {
  type: "object",
  properties: {
    name: { type: "string", minLength: 1, maxLength: 12, description: "full name" },
    age: { type: "integer", minimum: 0, maximum: 150 },
    height: { type: "number", exclusiveMinimum: 0.5, maximum: 2.5 },
    email: { type: ["string", "null"] },
    tags: { type: "array", items: { enum: ["red", "green", "blue"] }, minItems: 1, maxItems: 3 },
  },
  required: ["name", "age", "tags"],
  additionalProperties: false,
};

export const ORDER = {
  $defs: {
    item: {
      type: "object",
      properties: { sku: { type: "string", maxLength: 8 }, qty: { type: "integer" }, gift: { type: "boolean" } },
      required: ["sku", "qty"],
    },
  },
  type: "object",
  properties: {
    id: { const: "order" },
    items: { type: "array", items: { $ref: "#/$defs/item" }, minItems: 1, maxItems: 4 },
    matrix: { type: "array", items: { type: "array", items: { type: "number" }, maxItems: 3 }, maxItems: 3 },
    payment: {
      anyOf: [
        { type: "object", properties: { card: { type: "string", minLength: 4, maxLength: 4 } }, required: ["card"], additionalProperties: false },
        { type: "object", properties: { iban: { type: "string" } }, required: ["iban"], additionalProperties: false },
        { type: "null" },
      ],
    },
  },
  required: ["id", "items", "payment"],
};

export const TREE = {
  definitions: {
    node: {
      type: "object",
      properties: { value: { type: "integer", exclusiveMinimum: -10, maximum: 99 }, children: { type: "array", items: { $ref: "#/definitions/node" }, maxItems: 2 } },
      required: ["value"],
      additionalProperties: false,
    },
  },
  $ref: "#/definitions/node",
};

export const SHAPES = {
  type: "object",
  properties: {
    shapes: {
      type: "array",
      items: {
        oneOf: [
          { type: "object", properties: { kind: { const: "circle" }, r: { type: "number" } }, required: ["kind", "r"], additionalProperties: false },
          { type: "object", properties: { kind: { const: "rect" }, w: { type: "number" }, h: { type: "number" } }, required: ["kind", "w", "h"], additionalProperties: false },
        ],
      },
    },
    mixed: { enum: [1, 12, "a", null, true, { x: [1, 2] }] },
    pair: { type: "array", prefixItems: [{ type: "string" }, { type: "integer" }], items: false, minItems: 2 },
  },
  required: ["shapes", "mixed", "pair"],
};

export const JSON_OBJECT = { type: "json_object" };

export const ALL: Record<string, object> = { PERSON, ORDER, TREE, SHAPES, JSON_OBJECT };
