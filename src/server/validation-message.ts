import { ApiError } from "./api-error.js";

/** The parts of an ajv error this module reads (ajv runs with `verbose: true`, so data and parentSchema are there). */
export interface AjvErrorLike {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
  data?: unknown;
  parentSchema?: { description?: string; oneOf?: { properties?: Record<string, { const?: unknown }> }[] };
}

/** "/messages/0/content/1" → "messages[0].content[1]". */
export function fieldPath(instancePath: string): string {
  let out = "";
  for (const seg of instancePath.split("/").slice(1)) {
    const key = seg.replace(/~1/g, "/").replace(/~0/g, "~");
    out += /^\d+$/.test(key) ? `[${key}]` : out === "" ? key : `.${key}`;
  }
  return out;
}

const join = (path: string, key: string) => (path === "" ? key : `${path}.${key}`);
const show = (v: unknown) => (typeof v === "string" ? JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v) : JSON.stringify(v) ?? String(v));
const TYPE_NAMES: Record<string, string> = { string: "a string", number: "a number", integer: "an integer", boolean: "a boolean", array: "an array", object: "an object", null: "null" };

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return TYPE_NAMES[typeof v] ?? typeof v;
}

/** One ajv error of the request body → a 400 in OpenAI's shape that names the field and the fix. */
export function validationError(e: AjvErrorLike, where = "body"): ApiError {
  const path = fieldPath(e.instancePath);
  const name = path === "" ? (where === "body" ? "the request body" : where) : path;
  const p = e.params;
  let message: string;
  let param: string | null = path || null;
  let code = "invalid_value";
  switch (e.keyword) {
    case "additionalProperties": {
      const extra = String(p.additionalProperty);
      param = join(path, extra);
      code = "unknown_parameter";
      message = path === "" ? `Unrecognized request argument supplied: ${extra}` : `${path}: unknown field ${show(extra)}`;
      break;
    }
    case "required":
      param = join(path, String(p.missingProperty));
      code = "missing_required_parameter";
      message = `${param} is required`;
      break;
    case "type": {
      const want = String(p.type).split(",").map((t) => TYPE_NAMES[t] ?? t).join(" or ");
      code = "invalid_type";
      message = `${name} must be ${want}, not ${typeOf(e.data)}`;
      break;
    }
    case "discriminator": {
      const tag = String(p.tag);
      param = join(path, tag);
      const allowed = (e.parentSchema?.oneOf ?? []).map((s) => s.properties?.[tag]?.const).filter((x) => x !== undefined);
      const got = (e.data as Record<string, unknown> | undefined)?.[tag];
      message = p.error === "mapping"
        ? `${param} must be one of ${allowed.map((a) => show(a)).join(", ")}; got ${show(got)}`
        : `${param} must be a string`;
      break;
    }
    case "const":
      message = `${name} must be ${show(p.allowedValue)}, not ${show(e.data)}`;
      break;
    case "enum":
      message = `${name} must be one of ${(p.allowedValues as unknown[]).map(show).join(", ")}; got ${show(e.data)}`;
      break;
    case "minimum": case "maximum": case "exclusiveMinimum": case "exclusiveMaximum":
      message = `${name} must be ${p.comparison} ${p.limit}, got ${show(e.data)}`;
      break;
    case "minItems": case "maxItems": {
      const n = Number(p.limit);
      message = `${name} must have ${e.keyword === "minItems" ? "at least" : "at most"} ${n} item${n === 1 ? "" : "s"}, got ${(e.data as unknown[]).length}`;
      break;
    }
    case "minLength": case "maxLength": {
      const n = Number(p.limit);
      message = `${name} must be ${e.keyword === "minLength" ? (n === 1 ? "non-empty" : `at least ${n} characters`) : `at most ${n} characters`}`;
      break;
    }
    case "pattern":
      message = `${name} ${show(e.data)} is not in the expected form`;
      break;
    default:
      message = `${name} ${e.message ?? "is invalid"}`;
  }
  const hint = e.parentSchema?.description;
  if (hint) message += ` (${hint})`;
  return new ApiError(400, message, code, param);
}
