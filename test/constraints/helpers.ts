import { JsonRecognizer, type RecognizerOptions } from "../../src/runtime/constraints/recognizer.js";
import { compileSchema } from "../../src/runtime/constraints/schema-compile.js";

export type Verdict = "complete" | "prefix" | "reject";

const enc = new TextEncoder();

/** A recogniser for any JSON value (schema undefined) or for a schema. */
export function recognizer(schema?: object | boolean, options?: RecognizerOptions): JsonRecognizer {
  return new JsonRecognizer(schema === undefined ? undefined : compileSchema(schema), options);
}

/** How the recogniser takes a whole text: a complete value, only a prefix of one, or neither. */
export function verdict(rec: JsonRecognizer, text: string | Uint8Array): Verdict {
  const s = rec.feed(rec.initial, typeof text === "string" ? enc.encode(text) : text);
  return s === null ? "reject" : rec.acceptsEnd(s) ? "complete" : "prefix";
}

/** Index of the first byte the recogniser rejects, or -1. */
export function firstRejected(rec: JsonRecognizer, text: string | Uint8Array): number {
  const bytes = typeof text === "string" ? enc.encode(text) : text;
  let s = rec.initial;
  for (let i = 0; i < bytes.length; i++) {
    const n = rec.step(s, bytes[i]);
    if (n === null) return i;
    s = n;
  }
  return -1;
}
