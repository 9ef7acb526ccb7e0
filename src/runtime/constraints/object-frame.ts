import { COLON, COMMA, QUOTE, RBRACE } from "./bytes.js";
import { Frame, sameUp, wsNext, type Ctx } from "./frame.js";
import { anyString, type ObjectNode } from "./grammar.js";
import { LiteralFrame } from "./literal-frame.js";
import { keySet, mayClose } from "./object-keys.js";
import { startValue } from "./start-value.js";
import { StringFrame } from "./string-frame.js";

// Phases; KEY and VALUE wait for a child frame.
const OPEN = 0, KEY = 1, AFTER_KEY = 2, AFTER_COLON = 3, VALUE = 4, AFTER_VALUE = 5, AFTER_COMMA = 6;

const FREE_KEY = anyString();

/**
 * Reads an object after its `{`. A listed object writes only its properties, in schema order, each
 * key spelled as JSON.stringify spells it; a free object takes any string keys with `extra` values.
 */
export class ObjectFrame extends Frame {
  declare readonly node: ObjectNode;
  declare readonly phase: number;
  /** Index of the last property written (listed objects). */
  declare readonly last: number;
  declare readonly ws: number;
  private declare done: Frame | undefined;

  private constructor(node: ObjectNode, phase: number, last: number, ws: number, up: Frame, depth: number) {
    super(up, depth);
    this.node = node;
    this.phase = phase;
    this.last = last;
    this.ws = ws;
    this.done = undefined;
  }

  static open(node: ObjectNode, up: Frame): ObjectFrame {
    return new ObjectFrame(node, OPEN, -1, 0, up, up.depth + 1);
  }

  private to(phase: number, last: number, ws: number): ObjectFrame {
    return new ObjectFrame(this.node, phase, last, ws, this.up!, this.depth);
  }

  step(b: number, out: Frame[], ctx: Ctx): void {
    const ph = this.phase;
    const w = wsNext(this.ws, b, this.depth, ctx);
    if (w >= 0) { out.push(this.to(ph, this.last, w)); return; }
    switch (ph) {
      case OPEN:
        if (b === RBRACE) { if (this.mayClose()) out.push(this.up!.childDone(-1)); }
        else if (b === QUOTE) this.startKey(out, ctx);
        return;
      case AFTER_COMMA:
        if (b === QUOTE) this.startKey(out, ctx);
        return;
      case AFTER_KEY:
        if (b === COLON) out.push(this.to(AFTER_COLON, this.last, 0));
        return;
      case AFTER_COLON: {
        const n = this.node;
        startValue(n.extra ?? n.props[this.last].value, this.to(VALUE, this.last, 0), b, out, ctx);
        return;
      }
      case AFTER_VALUE:
        if (b === COMMA) { if (this.mayAddKey(ctx)) out.push(this.to(AFTER_COMMA, this.last, 0)); }
        else if (b === RBRACE && this.mayClose()) out.push(this.up!.childDone(-1));
        return;
    }
  }

  private mayClose(): boolean {
    return this.node.extra !== null || mayClose(this.node, this.last);
  }

  private mayAddKey(ctx: Ctx): boolean {
    const n = this.node;
    if (n.extra) return this.depth + n.extra.minDepth <= ctx.maxDepth;
    return keySet(n, this.last, this.depth, ctx) !== null;
  }

  private startKey(out: Frame[], ctx: Ctx): void {
    if (!this.mayAddKey(ctx)) return;
    const waiting = this.to(KEY, this.last, 0);
    if (this.node.extra) out.push(StringFrame.open(FREE_KEY, waiting));
    else LiteralFrame.start(keySet(this.node, this.last, this.depth, ctx)!, waiting, QUOTE, out);
  }

  override childDone(tag: number): Frame {
    if (this.phase === KEY) return this.to(AFTER_KEY, this.node.extra ? -1 : tag, 0);
    // shared, so alternatives of a union that end the same way meet in one frame
    return (this.done ??= this.to(AFTER_VALUE, this.last, 0));
  }

  sameAs(o: Frame): boolean {
    return o instanceof ObjectFrame && o.node === this.node && o.phase === this.phase && o.last === this.last
      && o.ws === this.ws && sameUp(o.up, this.up);
  }
}
