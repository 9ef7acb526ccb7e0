import type { NumberRange } from "./number-range.js";

/**
 * The grammar a JSON recogniser follows: a graph of value nodes compiled from a JSON Schema (or the
 * built-in "any JSON value" graph). The graph may be cyclic (recursive $ref); `minDepth` says how many
 * containers deep the shortest instance of a node goes, so the recogniser never opens a value it could
 * not finish within `maxDepth`.
 */
export type Node = ObjectNode | ArrayNode | StringNode | NumberNode | LiteralNode | UnionNode;

interface NodeBase {
  /** Open containers the shortest instance needs (scalars 0, `{}` 1); Infinity = no finite instance. */
  minDepth: number;
}

export interface Property {
  /** The key as emitted, JSON-encoded with its quotes (JSON.stringify(name)), UTF-8. */
  readonly key: Uint8Array;
  readonly name: string;
  value: Node;
  readonly required: boolean;
}

/** Either a listed object (only `props`, in order) or a free one (any keys, values of `extra`). */
export interface ObjectNode extends NodeBase {
  readonly kind: "object";
  props: Property[];
  /** Value of every key in a free object; null = listed object. */
  extra: Node | null;
  /** Listed objects: the key matcher after property `last` (index last + 1), built on first use. */
  keySets?: (LiteralSet | null)[];
}

export interface ArrayNode extends NodeBase {
  readonly kind: "array";
  /** Positional item nodes (prefixItems); then `items` for the rest (null = no more items). */
  prefix: Node[];
  items: Node | null;
  minItems: number;
  /** Infinity = unbounded. */
  maxItems: number;
}

export interface StringNode extends NodeBase {
  readonly kind: "string";
  /** In code points, as JSON Schema counts. */
  readonly minLength: number;
  /** Infinity = unbounded. */
  readonly maxLength: number;
}

export interface NumberNode extends NodeBase {
  readonly kind: "number";
  readonly integer: boolean;
  /** minimum/maximum bounds, if any. */
  readonly range?: NumberRange | null;
}

/** A closed set of JSON texts (enum, const, true/false/null), matched byte by byte. */
export interface LiteralNode extends NodeBase {
  readonly kind: "literal";
  readonly set: LiteralSet;
}

export interface UnionNode extends NodeBase {
  readonly kind: "union";
  alts: Node[];
}

/**
 * A byte trie over a set of texts. Node 0 is the root; `next[n]` maps a byte to a child, `tag[n]` is
 * the tag of the text ending at n (-1 if none).
 */
export class LiteralSet {
  readonly next: Map<number, number>[] = [new Map()];
  readonly tag: number[] = [-1];
  /** The texts, for messages and tests. */
  readonly texts: Uint8Array[] = [];

  constructor(texts: readonly Uint8Array[], tags?: readonly number[]) {
    texts.forEach((t, i) => this.add(t, tags ? tags[i] : i));
  }

  private add(text: Uint8Array, tag: number): void {
    let n = 0;
    for (const b of text) {
      let c = this.next[n].get(b);
      if (c === undefined) {
        c = this.next.length;
        this.next.push(new Map());
        this.tag.push(-1);
        this.next[n].set(b, c);
      }
      n = c;
    }
    if (this.tag[n] < 0) { this.tag[n] = tag; this.texts.push(text); }
  }
}

const utf8 = new TextEncoder();

/** Literal node over JSON values (compared as their compact JSON.stringify texts). */
export function literalOf(values: readonly unknown[]): LiteralNode {
  return { kind: "literal", minDepth: 0, set: new LiteralSet(values.map((v) => utf8.encode(JSON.stringify(v)))) };
}

/** The grammar of any JSON value (a free object's values are any values again: a cyclic graph). */
export function anyValueNode(): UnionNode {
  const any: UnionNode = { kind: "union", minDepth: 0, alts: [] };
  const object: ObjectNode = { kind: "object", minDepth: 1, props: [], extra: any };
  const array: ArrayNode = { kind: "array", minDepth: 1, prefix: [], items: any, minItems: 0, maxItems: Infinity };
  any.alts.push(object, array, anyString(), { kind: "number", minDepth: 0, integer: false }, literalOf([true, false, null]));
  return any;
}

export function anyString(): StringNode {
  return { kind: "string", minDepth: 0, minLength: 0, maxLength: Infinity };
}

/** The node of item `i` of an array, or null if the array cannot have that many items. */
export function itemNode(n: ArrayNode, i: number): Node | null {
  if (i >= n.maxItems) return null;
  return i < n.prefix.length ? n.prefix[i] : n.items;
}
