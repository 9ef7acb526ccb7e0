import type { Ctx } from "./frame.js";
import { LiteralSet, type ObjectNode } from "./grammar.js";

/**
 * The keys a listed object may write after property `last` (-1 at the start): properties are written
 * in the schema's order, so the candidates run from the next one up to and including the next required
 * one. Optional properties whose values could not finish within the depth limit are left out.
 * Returns null when no key may follow.
 */
export function keySet(node: ObjectNode, last: number, depth: number, ctx: Ctx): LiteralSet | null {
  const cands: number[] = [];
  let allFit = true;
  for (let i = last + 1; i < node.props.length; i++) {
    const p = node.props[i];
    if (p.required || depth + p.value.minDepth <= ctx.maxDepth) cands.push(i);
    else allFit = false;
    if (p.required) break;
  }
  if (cands.length === 0) return null;
  const build = () => new LiteralSet(cands.map((i) => node.props[i].key), cands);
  if (!allFit) return build(); // rare: only near the depth limit
  const sets = (node.keySets ??= []);
  return (sets[last + 1] ??= build());
}

/** True when no required property remains after `last`. */
export function mayClose(node: ObjectNode, last: number): boolean {
  for (let i = last + 1; i < node.props.length; i++) if (node.props[i].required) return false;
  return true;
}
