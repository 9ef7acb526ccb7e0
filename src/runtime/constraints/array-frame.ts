import { COMMA, RBRACKET } from "./bytes.js";
import { Frame, sameUp, wsNext, type Ctx } from "./frame.js";
import { itemNode, type ArrayNode } from "./grammar.js";
import { startValue } from "./start-value.js";

// Phases; VALUE waits for a child frame.
const OPEN = 0, VALUE = 1, AFTER_VALUE = 2, AFTER_COMMA = 3;

/** Reads an array after its `[`, keeping the item count within minItems..maxItems. */
export class ArrayFrame extends Frame {
  declare readonly node: ArrayNode;
  declare readonly phase: number;
  /** Items started so far. */
  declare readonly count: number;
  declare readonly ws: number;
  private declare done: Frame | undefined;

  private constructor(node: ArrayNode, phase: number, count: number, ws: number, up: Frame, depth: number) {
    super(up, depth);
    this.node = node;
    this.phase = phase;
    this.count = count;
    this.ws = ws;
    this.done = undefined;
  }

  static open(node: ArrayNode, up: Frame): ArrayFrame {
    return new ArrayFrame(node, OPEN, 0, 0, up, up.depth + 1);
  }

  private to(phase: number, count: number, ws: number): ArrayFrame {
    return new ArrayFrame(this.node, phase, count, ws, this.up!, this.depth);
  }

  step(b: number, out: Frame[], ctx: Ctx): void {
    const w = wsNext(this.ws, b, this.depth, ctx);
    if (w >= 0) { out.push(this.to(this.phase, this.count, w)); return; }
    switch (this.phase) {
      case OPEN:
        if (b === RBRACKET) { if (this.node.minItems === 0) out.push(this.up!.childDone(-1)); }
        else this.startItem(b, out, ctx);
        return;
      case AFTER_COMMA:
        this.startItem(b, out, ctx);
        return;
      case AFTER_VALUE:
        if (b === COMMA) { if (this.mayAddItem(ctx)) out.push(this.to(AFTER_COMMA, this.count, 0)); }
        else if (b === RBRACKET && this.count >= this.node.minItems) out.push(this.up!.childDone(-1));
        return;
    }
  }

  private mayAddItem(ctx: Ctx): boolean {
    const item = itemNode(this.node, this.count);
    return item !== null && this.depth + item.minDepth <= ctx.maxDepth;
  }

  private startItem(b: number, out: Frame[], ctx: Ctx): void {
    if (this.mayAddItem(ctx)) startValue(itemNode(this.node, this.count)!, this.to(VALUE, this.count + 1, 0), b, out, ctx);
  }

  override childDone(): Frame {
    return (this.done ??= this.to(AFTER_VALUE, this.count, 0));
  }

  sameAs(o: Frame): boolean {
    return o instanceof ArrayFrame && o.node === this.node && o.phase === this.phase && o.count === this.count
      && o.ws === this.ws && sameUp(o.up, this.up);
  }
}
