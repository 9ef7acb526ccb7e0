import { UserError } from "../../errors.js";

/** A JSON Schema object (boolean schemas are handled before one is read). */
export type SchemaObject = Record<string, unknown>;

/** The error for a schema the compiler refuses, naming where. */
export function bad(path: string, what: string): UserError {
  return new UserError("bad_argument", `json schema at ${path}: ${what}`);
}

export function isObject(x: unknown): x is SchemaObject {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** A non-negative integer keyword, or `dflt` when absent. */
export function count(s: SchemaObject, key: string, path: string, dflt: number): number {
  const v = s[key];
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw bad(path, `${key} must be a non-negative integer`);
  return v;
}
