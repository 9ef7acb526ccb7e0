import type { NumberNode } from "./grammar.js";
import { MAX_BOUNDED_DIGITS, NumberRange } from "./number-range.js";
import { bad, type SchemaObject } from "./schema-common.js";

/** A number node; minimum/maximum (exclusive too, and draft 4's boolean exclusiveMinimum) give a range. */
export function numberNode(s: SchemaObject, path: string, integer: boolean): NumberNode {
  const num = (key: string): number | undefined => {
    const v = s[key];
    if (v === undefined || typeof v === "boolean") return undefined;
    if (typeof v !== "number" || !Number.isFinite(v)) throw bad(path, `${key} must be a finite number`);
    return v;
  };
  let min = num("minimum"), max = num("maximum"), exMin = num("exclusiveMinimum"), exMax = num("exclusiveMaximum");
  if (s.exclusiveMinimum === true) { exMin = min; min = undefined; }
  if (s.exclusiveMaximum === true) { exMax = max; max = undefined; }
  const range = NumberRange.of(min, exMin, max, exMax, integer);
  if (range && !range.feasible("") && !range.feasible("-")) {
    throw bad(path, `no ${integer ? "integer" : "number"} of at most ${MAX_BOUNDED_DIGITS} digits lies within minimum/maximum`);
  }
  return { kind: "number", minDepth: 0, integer, range };
}
