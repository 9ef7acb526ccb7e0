import { Frame, sameUp, wsNext, type Ctx } from "./frame.js";
import type { Node } from "./grammar.js";
import { startValue } from "./start-value.js";

const BEFORE = 0, VALUE = 1, AFTER = 2;

/** The bottom of the stack: whitespace, the top-level value, whitespace. */
export class RootFrame extends Frame {
  declare readonly node: Node;
  declare readonly phase: number;
  declare readonly ws: number;
  private declare done: RootFrame | undefined;

  constructor(node: Node, phase = BEFORE, ws = 0) {
    super(null, 0);
    this.node = node;
    this.phase = phase;
    this.ws = ws;
    this.done = undefined;
  }

  step(b: number, out: Frame[], ctx: Ctx): void {
    const w = wsNext(this.ws, b, 0, ctx);
    if (w >= 0) out.push(new RootFrame(this.node, this.phase, w));
    else if (this.phase === BEFORE) startValue(this.node, new RootFrame(this.node, VALUE), b, out, ctx);
  }

  override childDone(): Frame {
    return (this.done ??= new RootFrame(this.node, AFTER));
  }

  override get atEnd(): boolean {
    return this.phase === AFTER;
  }

  override get closed(): boolean {
    return this.phase === AFTER;
  }

  sameAs(o: Frame): boolean {
    return o instanceof RootFrame && o.node === this.node && o.phase === this.phase && o.ws === this.ws && sameUp(o.up, this.up);
  }
}
