import { UserError } from "../../errors.js";
import type { Node } from "./grammar.js";

/**
 * oneOf needs exactly one alternative to match. The recogniser treats it as anyOf, which is only right
 * when no value can match two alternatives: different JSON types, literal sets without a common value,
 * or objects told apart by a required property with different literal values (a discriminator).
 */
export function assertDisjoint(alts: readonly Node[], path: string): void {
  for (let i = 0; i < alts.length; i++) {
    for (let j = i + 1; j < alts.length; j++) {
      if (!disjoint(alts[i], alts[j])) {
        throw new UserError("bad_argument", `json schema at ${path}: oneOf alternatives ${i} and ${j} may match the same value; use anyOf`);
      }
    }
  }
}

function disjoint(a: Node, b: Node): boolean {
  const ta = jsonTypes(a), tb = jsonTypes(b);
  if (![...ta].some((t) => tb.has(t))) return true;
  if (a.kind === "literal" && b.kind === "literal") {
    const texts = new Set(a.set.texts.map(text));
    return !b.set.texts.some((t) => texts.has(text(t)));
  }
  if (a.kind === "object" && b.kind === "object" && a.extra === null && b.extra === null) {
    return a.props.some((p) => p.required && b.props.some((q) => q.required && q.name === p.name && disjoint(p.value, q.value)));
  }
  return false;
}

const decoder = new TextDecoder();
const text = (t: Uint8Array) => decoder.decode(t);

/** The JSON types a node's values may have (integers count as numbers). */
function jsonTypes(n: Node, seen = new Set<Node>()): Set<string> {
  const out = new Set<string>();
  if (seen.has(n)) return out;
  seen.add(n);
  switch (n.kind) {
    case "union": for (const a of n.alts) for (const t of jsonTypes(a, seen)) out.add(t); break;
    case "literal": for (const t of n.set.texts) out.add(typeOfText(t[0])); break;
    default: out.add(n.kind);
  }
  return out;
}

function typeOfText(first: number): string {
  switch (String.fromCharCode(first)) {
    case "{": return "object";
    case "[": return "array";
    case '"': return "string";
    case "t": case "f": return "boolean";
    case "n": return "null";
    default: return "number";
  }
}
