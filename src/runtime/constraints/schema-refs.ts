import { UserError } from "../../errors.js";

/** Resolves a local `$ref` ("#", "#/$defs/x", "#/definitions/x", any JSON pointer into the document). */
export function resolveRef(doc: unknown, ref: unknown, path: string): unknown {
  if (typeof ref !== "string" || !ref.startsWith("#")) {
    throw new UserError("bad_argument", `json schema at ${path}: only local $ref ("#/$defs/...") is supported, got ${JSON.stringify(ref)}`);
  }
  if (ref === "#") return doc;
  if (!ref.startsWith("#/")) throw new UserError("bad_argument", `json schema at ${path}: $ref "${ref}" (anchors) is not supported`);
  let at: unknown = doc;
  for (const raw of ref.slice(2).split("/")) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (at === null || typeof at !== "object" || !Object.prototype.hasOwnProperty.call(at, key)) {
      throw new UserError("bad_argument", `json schema at ${path}: $ref "${ref}" points to nothing`);
    }
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}
