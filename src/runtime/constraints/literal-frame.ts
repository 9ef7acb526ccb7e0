import { Frame, sameUp, type Ctx } from "./frame.js";
import type { LiteralSet } from "./grammar.js";

/** Reads one of a closed set of texts (enum/const values, true/false/null, the keys of an object). */
export class LiteralFrame extends Frame {
  declare readonly set: LiteralSet;
  /** Node of the set's trie reached so far. */
  declare readonly at: number;

  private constructor(set: LiteralSet, at: number, up: Frame) {
    super(up, up.depth);
    this.set = set;
    this.at = at;
  }

  static start(set: LiteralSet, up: Frame, b: number, out: Frame[]): void {
    const c = set.next[0].get(b);
    if (c !== undefined) out.push(LiteralFrame.enter(set, c, up));
  }

  /** A text that cannot continue completes at once (closing quotes, true, ...). */
  private static enter(set: LiteralSet, at: number, up: Frame): Frame {
    return set.next[at].size === 0 ? up.childDone(set.tag[at]) : new LiteralFrame(set, at, up);
  }

  step(b: number, out: Frame[], ctx: Ctx): void {
    const c = this.set.next[this.at].get(b);
    if (c !== undefined) out.push(LiteralFrame.enter(this.set, c, this.up!));
    else if (this.set.tag[this.at] >= 0) this.up!.childDone(this.set.tag[this.at]).step(b, out, ctx); // e.g. enum [1, 12] after "1"
  }

  override endValue(): Frame | null {
    return this.set.tag[this.at] >= 0 ? this.up!.childDone(this.set.tag[this.at]) : null;
  }

  sameAs(o: Frame): boolean {
    return o instanceof LiteralFrame && o.set === this.set && o.at === this.at && sameUp(o.up, this.up);
  }
}
