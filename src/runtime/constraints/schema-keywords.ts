/** Which JSON Schema keywords the compiler honours, ignores, or refuses. */

/** Annotations and containers: they do not restrict values (format is documented as not enforced). */
export const IGNORED = new Set([
  "title", "description", "default", "examples", "example", "$comment", "$schema", "$id", "$anchor",
  "deprecated", "readOnly", "writeOnly", "format", "contentEncoding", "contentMediaType", "contentSchema",
  "$defs", "definitions", "nullable", "discriminator", "strict",
]);

/** Keywords read by the compiler (some only with certain values, checked where they are read). */
export const HANDLED = new Set([
  "type", "enum", "const", "$ref", "anyOf", "oneOf", "allOf",
  "properties", "required", "additionalProperties", "unevaluatedProperties", "minProperties", "maxProperties",
  "items", "prefixItems", "additionalItems", "minItems", "maxItems", "uniqueItems",
  "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
]);

/** Validation keywords the recogniser cannot enforce: a schema using them is refused. */
export const REFUSED = new Set([
  "pattern", "patternProperties", "propertyNames", "dependentRequired", "dependentSchemas", "dependencies",
  "contains", "minContains", "maxContains", "not", "if", "then", "else", "unevaluatedItems",
  "multipleOf", "$dynamicRef", "$recursiveRef",
]);

/** Keywords of a schema object that restrict values (unknown keywords are annotations, as the spec says). */
export function validationKeywords(schema: Record<string, unknown>): string[] {
  return Object.keys(schema).filter((k) => HANDLED.has(k) || REFUSED.has(k));
}

/** Keywords that imply a type when `type` is absent. */
export const TYPE_HINTS: Readonly<Record<string, string>> = {
  properties: "object", required: "object", additionalProperties: "object", minProperties: "object", maxProperties: "object",
  items: "array", prefixItems: "array", minItems: "array", maxItems: "array",
  minLength: "string", maxLength: "string",
  minimum: "number", maximum: "number", exclusiveMinimum: "number", exclusiveMaximum: "number",
};
