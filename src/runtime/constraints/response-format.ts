import { UserError } from "../../errors.js";

/**
 * The schema to constrain to for an OpenAI-style `response_format`: `{type: "text"}` → undefined (no
 * constraint), `{type: "json_object"}` → any object, `{type: "json_schema", json_schema: {schema}}` →
 * that schema (no schema: any JSON value, i.e. `true`).
 */
export function schemaOfResponseFormat(rf: unknown): object | boolean | undefined {
  if (rf === undefined || rf === null) return undefined;
  const r = rf as { type?: unknown; json_schema?: { schema?: unknown } };
  switch (r.type) {
    case "text": return undefined;
    case "json_object": return { type: "object" };
    case "json_schema": {
      const s = r.json_schema?.schema;
      if (s === undefined) return true;
      if (typeof s === "boolean" || (typeof s === "object" && s !== null && !Array.isArray(s))) return s;
      throw new UserError("bad_argument", "response_format.json_schema.schema must be a JSON Schema object");
    }
    default: throw new UserError("bad_argument", `response_format.type must be "text", "json_object" or "json_schema", got ${JSON.stringify(r.type)}`);
  }
}
