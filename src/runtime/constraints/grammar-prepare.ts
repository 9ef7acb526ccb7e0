import { itemNode, type Node, type UnionNode } from "./grammar.js";

/**
 * Readies a graph for the recogniser: unions nested in unions are flattened (a union never starts
 * itself, even through a recursive $ref), then `minDepth` of every node is found as a fixpoint.
 */
export function prepareGrammar(root: Node): void {
  const all: Node[] = [];
  const seen = new Set<Node>();
  const visit = (n: Node | null) => {
    if (!n || seen.has(n)) return;
    seen.add(n);
    all.push(n);
    n.minDepth = Infinity;
    if (n.kind === "object") { n.props.forEach((p) => visit(p.value)); visit(n.extra); }
    else if (n.kind === "array") { n.prefix.forEach(visit); visit(n.items); }
    else if (n.kind === "union") { n.alts = flatAlts(n); n.alts.forEach(visit); }
  };
  visit(root);
  for (let changed = true; changed;) {
    changed = false;
    for (const n of all) {
      const d = ownMinDepth(n);
      if (d < n.minDepth) { n.minDepth = d; changed = true; }
    }
  }
}

function flatAlts(u: UnionNode): Node[] {
  const out: Node[] = [];
  const seen = new Set<Node>([u]);
  const walk = (alts: Node[]) => {
    for (const a of alts) {
      if (seen.has(a)) continue;
      seen.add(a);
      if (a.kind === "union") walk(a.alts);
      else out.push(a);
    }
  };
  walk(u.alts);
  return out;
}

function ownMinDepth(n: Node): number {
  switch (n.kind) {
    case "string": case "number": case "literal": return 0;
    case "union": return Math.min(...n.alts.map((a) => a.minDepth));
    case "object": return 1 + Math.max(0, ...n.props.filter((p) => p.required).map((p) => p.value.minDepth));
    case "array": {
      let d = 0;
      for (let i = 0; i < n.minItems; i++) {
        const item = itemNode(n, i);
        d = Math.max(d, item ? item.minDepth : Infinity);
        if (i >= n.prefix.length) break; // the rest repeat `items`
      }
      return 1 + d;
    }
  }
}
