import {
  anyString, anyValueNode, literalOf, type ArrayNode, type Node, type ObjectNode, type Property, type UnionNode,
} from "./grammar.js";
import { bad, count, isObject, type SchemaObject } from "./schema-common.js";
import { numberNode } from "./schema-number.js";
import { assertDisjoint } from "./schema-disjoint.js";
import { REFUSED, TYPE_HINTS, validationKeywords } from "./schema-keywords.js";
import { resolveRef } from "./schema-refs.js";

const TYPES = new Set(["object", "array", "string", "number", "integer", "boolean", "null"]);
const utf8 = new TextEncoder();

/**
 * Compiles a JSON Schema (the subset structured-output APIs use) into the grammar the JSON recogniser
 * follows. Every text the grammar allows validates against the schema; where the schema allows more
 * (optional properties in any order, extra properties) the grammar picks a valid subset. Keywords it
 * cannot honour raise a UserError rather than letting invalid output through.
 */
export function compileSchema(schema: unknown): Node {
  const root = new SchemaCompiler(schema).compile(schema, "#");
  if (root === null) throw bad("#", "the schema allows no value");
  return root;
}

class SchemaCompiler {
  /** By schema object, so shared and recursive ($ref) schemas compile to one node. */
  private readonly memo = new Map<object, Node | null>();
  /** $ref / allOf chains being followed (a chain that returns to itself never reaches a value). */
  private readonly following = new Set<object>();
  private anyNode?: Node;

  constructor(private readonly doc: unknown) {}

  private any(): Node {
    return (this.anyNode ??= anyValueNode());
  }

  /** A node, or null for a schema no value satisfies (`false`). */
  compile(s: unknown, path: string): Node | null {
    if (s === true) return this.any();
    if (s === false) return null;
    if (!isObject(s)) throw bad(path, "a schema must be an object or a boolean");
    const hit = this.memo.get(s);
    if (hit !== undefined) return hit;
    for (const k of Object.keys(s)) if (REFUSED.has(k)) throw bad(path, `"${k}" is not supported`);
    if ("$ref" in s || "allOf" in s) return this.follow(s, path);
    if ("anyOf" in s || "oneOf" in s) return this.union(s, path);
    if ("enum" in s || "const" in s) return this.literal(s, path);
    return this.typed(s, path);
  }

  private others(s: SchemaObject, path: string, allowed: string[]): void {
    const extra = validationKeywords(s).filter((k) => !allowed.includes(k));
    if (extra.length > 0) throw bad(path, `${allowed.filter((k) => k in s).join("/")} together with ${extra.map((k) => `"${k}"`).join(", ")} is not supported`);
  }

  /** `$ref`, or `allOf` with one schema: the same as the schema they name. */
  private follow(s: SchemaObject, path: string): Node | null {
    let target: unknown, to: string;
    if ("$ref" in s) {
      this.others(s, path, ["$ref"]);
      target = resolveRef(this.doc, s.$ref, path);
      to = String(s.$ref);
    } else {
      this.others(s, path, ["allOf"]);
      if (!Array.isArray(s.allOf) || s.allOf.length !== 1) throw bad(path, "allOf with more than one schema is not supported");
      target = s.allOf[0];
      to = `${path}/allOf/0`;
    }
    if (this.following.has(s)) throw bad(path, "a $ref/allOf cycle never reaches a value");
    this.following.add(s);
    const n = this.compile(target, to);
    this.following.delete(s);
    this.memo.set(s, n);
    return n;
  }

  private union(s: SchemaObject, path: string): Node | null {
    const key = "anyOf" in s ? "anyOf" : "oneOf";
    this.others(s, path, [key]);
    const list = s[key];
    if (!Array.isArray(list) || list.length === 0) throw bad(path, `${key} must be a non-empty array`);
    const u: UnionNode = { kind: "union", minDepth: 0, alts: [] };
    this.memo.set(s, u);
    list.forEach((x, i) => {
      const n = this.compile(x, `${path}/${key}/${i}`);
      if (n) u.alts.push(n);
    });
    if (key === "oneOf") assertDisjoint(u.alts, path);
    return u;
  }

  private literal(s: SchemaObject, path: string): Node | null {
    this.others(s, path, ["enum", "const", "type"]);
    let values: unknown[];
    if ("enum" in s) {
      if (!Array.isArray(s.enum) || s.enum.length === 0) throw bad(path, "enum must be a non-empty array");
      values = s.enum;
      if ("const" in s) values = values.filter((v) => canonical(v, path) === canonical(s.const, path));
    } else values = [s.const];
    if ("type" in s) {
      const types = this.types(s, path);
      values = values.filter((v) => types.some((t) => isOfType(v, t)));
    }
    values.forEach((v) => canonical(v, path));
    const n = values.length > 0 ? literalOf(values) : null;
    this.memo.set(s, n);
    return n;
  }

  private types(s: SchemaObject, path: string): string[] {
    const t = s.type;
    const list = Array.isArray(t) ? t : [t];
    if (list.length === 0) throw bad(path, "type must not be an empty array");
    return list.map((x) => {
      if (x === "json_object") return "object"; // response_format {type: "json_object"}
      if (typeof x !== "string" || !TYPES.has(x)) throw bad(path, `unknown type ${JSON.stringify(x)}`);
      return x;
    });
  }

  private typed(s: SchemaObject, path: string): Node | null {
    let types = "type" in s ? this.types(s, path) : [...new Set(Object.keys(s).map((k) => TYPE_HINTS[k]).filter(Boolean))];
    if (types.length === 0) { this.memo.set(s, this.any()); return this.any(); }
    if (types.includes("number")) types = types.filter((t) => t !== "integer");
    types = [...new Set(types)];
    if (types.length === 1) return this.ofType(types[0], s, path, (n) => this.memo.set(s, n));
    const u: UnionNode = { kind: "union", minDepth: 0, alts: [] };
    this.memo.set(s, u);
    for (const t of types) {
      const n = this.ofType(t, s, path, () => {});
      if (n) u.alts.push(n);
    }
    return u;
  }

  /** `register` is called with the node before its children compile, for recursive schemas. */
  private ofType(t: string, s: SchemaObject, path: string, register: (n: Node | null) => void): Node | null {
    let n: Node | null;
    switch (t) {
      case "object": return this.object(s, path, register);
      case "array": return this.array(s, path, register);
      case "string": {
        const min = count(s, "minLength", path, 0), max = count(s, "maxLength", path, Infinity);
        n = min > max ? null : { ...anyString(), minLength: min, maxLength: max };
        if (n === null) throw bad(path, `minLength ${min} is greater than maxLength ${max}`);
        break;
      }
      case "number": case "integer": n = numberNode(s, path, t === "integer"); break;
      case "boolean": n = literalOf([true, false]); break;
      default: n = literalOf([null]);
    }
    register(n);
    return n;
  }

  private object(s: SchemaObject, path: string, register: (n: Node) => void): Node {
    const node: ObjectNode = { kind: "object", minDepth: 0, props: [], extra: null };
    register(node);
    const props = s.properties ?? {};
    if (!isObject(props)) throw bad(path, "properties must be an object");
    const required = s.required ?? [];
    if (!Array.isArray(required) || !required.every((r) => typeof r === "string")) throw bad(path, "required must be an array of strings");
    const requiredSet = new Set(required as string[]);
    const additional = s.additionalProperties;
    const unevaluated = s.unevaluatedProperties;
    const listed = Object.keys(props).length > 0 || requiredSet.size > 0 || additional === false || unevaluated === false;
    if (listed) {
      // only listed properties are written (valid whatever additionalProperties says)
      for (const [name, sub] of Object.entries(props)) {
        const value = this.compile(sub, `${path}/properties/${name}`);
        if (value === null) {
          if (requiredSet.has(name)) throw bad(path, `required property "${name}" allows no value`);
          continue;
        }
        node.props.push(property(name, value, requiredSet.has(name)));
      }
      for (const name of requiredSet) {
        if (Object.prototype.hasOwnProperty.call(props, name)) continue;
        const value = additional === undefined ? this.any() : this.compile(additional, `${path}/additionalProperties`);
        if (value === null) throw bad(path, `required property "${name}" is not among the allowed properties`);
        node.props.push(property(name, value, true));
      }
      const min = count(s, "minProperties", path, 0), max = count(s, "maxProperties", path, Infinity);
      if (min > requiredSet.size) throw bad(path, `minProperties ${min} above the number of required properties is not supported`);
      if (max < node.props.length) throw bad(path, `maxProperties ${max} below the number of properties is not supported`);
    } else {
      if (unevaluated !== undefined && unevaluated !== true) throw bad(path, "unevaluatedProperties on an object without properties is not supported");
      if (count(s, "minProperties", path, 0) > 0 || count(s, "maxProperties", path, Infinity) !== Infinity) {
        throw bad(path, "minProperties/maxProperties on an object without properties is not supported");
      }
      node.extra = additional === undefined ? this.any() : this.compile(additional, `${path}/additionalProperties`);
    }
    return node;
  }

  private array(s: SchemaObject, path: string, register: (n: Node) => void): Node {
    const node: ArrayNode = { kind: "array", minDepth: 0, prefix: [], items: null, minItems: 0, maxItems: Infinity };
    register(node);
    if (s.uniqueItems === true && count(s, "maxItems", path, Infinity) > 1) throw bad(path, "uniqueItems is not supported");
    // prefixItems + items (2020-12), or items as an array + additionalItems (draft 7)
    const tuple = Array.isArray(s.prefixItems) ? s.prefixItems : Array.isArray(s.items) ? s.items : [];
    if ("prefixItems" in s && !Array.isArray(s.prefixItems)) throw bad(path, "prefixItems must be an array");
    const rest = Array.isArray(s.prefixItems) ? s.items : Array.isArray(s.items) ? s.additionalItems : s.items;
    let maxItems = count(s, "maxItems", path, Infinity);
    for (let i = 0; i < tuple.length; i++) {
      const n = this.compile(tuple[i], `${path}/prefixItems/${i}`);
      if (n === null) { maxItems = Math.min(maxItems, i); break; }
      node.prefix.push(n);
    }
    node.items = rest === undefined ? this.any() : this.compile(rest, `${path}/items`);
    if (node.items === null) maxItems = Math.min(maxItems, node.prefix.length);
    node.minItems = count(s, "minItems", path, 0);
    node.maxItems = maxItems;
    if (node.minItems > node.maxItems) throw bad(path, `minItems ${node.minItems} is more than the array may hold (${node.maxItems})`);
    return node;
  }
}

function property(name: string, value: Node, required: boolean): Property {
  return { name, key: utf8.encode(JSON.stringify(name)), value, required };
}

function canonical(v: unknown, path: string): string {
  const t = JSON.stringify(v);
  if (t === undefined) throw bad(path, "enum/const values must be JSON values");
  return t;
}

function isOfType(v: unknown, t: string): boolean {
  switch (t) {
    case "null": return v === null;
    case "boolean": return typeof v === "boolean";
    case "number": return typeof v === "number";
    case "integer": return typeof v === "number" && Number.isInteger(v);
    case "string": return typeof v === "string";
    case "array": return Array.isArray(v);
    default: return isObject(v);
  }
}
