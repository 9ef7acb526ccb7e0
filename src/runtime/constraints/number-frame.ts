import { DOT, MINUS, PLUS, ZERO, isDigit } from "./bytes.js";
import { Frame, sameUp, type Ctx } from "./frame.js";
import type { NumberNode } from "./grammar.js";

// Where in `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` the number is.
const SIGN = 0, INT_ZERO = 1, INT = 2, FRAC_START = 3, FRAC = 4, EXP_START = 5, EXP_SIGN = 6, EXP = 7;

// Digit runs are capped so a model cannot loop on digits; 2 exponent digits keep values finite.
const MAX_INT_DIGITS = 20, MAX_FRAC_DIGITS = 20, MAX_EXP_DIGITS = 2;

/** Reads a JSON number (an integer node allows no fraction or exponent). It ends at the first byte
 *  that cannot continue it, which then goes to the container. */
export class NumberFrame extends Frame {
  private constructor(readonly node: NumberNode, readonly phase: number, readonly run: number, up: Frame) {
    super(up, up.depth);
  }

  static start(node: NumberNode, up: Frame, b: number, out: Frame[]): void {
    if (b === MINUS) out.push(new NumberFrame(node, SIGN, 0, up));
    else if (b === ZERO) out.push(new NumberFrame(node, INT_ZERO, 1, up));
    else if (isDigit(b)) out.push(new NumberFrame(node, INT, 1, up));
  }

  private to(phase: number, run: number): NumberFrame {
    return new NumberFrame(this.node, phase, run, this.up!);
  }

  step(b: number, out: Frame[], ctx: Ctx): void {
    const digit = isDigit(b);
    const isExp = (b | 0x20) === 0x65 && !this.node.integer;
    const isDot = b === DOT && !this.node.integer;
    switch (this.phase) {
      case SIGN:
        if (digit) out.push(this.to(b === ZERO ? INT_ZERO : INT, 1));
        return;
      case INT_ZERO:
      case INT:
        if (digit) { if (this.phase === INT && this.run < MAX_INT_DIGITS) out.push(this.to(INT, this.run + 1)); }
        else if (isDot) out.push(this.to(FRAC_START, 0));
        else if (isExp) out.push(this.to(EXP_START, 0));
        else this.up!.childDone(-1).step(b, out, ctx);
        return;
      case FRAC_START:
        if (digit) out.push(this.to(FRAC, 1));
        return;
      case FRAC:
        if (digit) { if (this.run < MAX_FRAC_DIGITS) out.push(this.to(FRAC, this.run + 1)); }
        else if (isExp) out.push(this.to(EXP_START, 0));
        else this.up!.childDone(-1).step(b, out, ctx);
        return;
      case EXP_START:
        if (b === PLUS || b === MINUS) out.push(this.to(EXP_SIGN, 0));
        else if (digit) out.push(this.to(EXP, 1));
        return;
      case EXP_SIGN:
        if (digit) out.push(this.to(EXP, 1));
        return;
      case EXP:
        if (digit) { if (this.run < MAX_EXP_DIGITS) out.push(this.to(EXP, this.run + 1)); }
        else this.up!.childDone(-1).step(b, out, ctx);
        return;
    }
  }

  override endValue(): Frame | null {
    const p = this.phase;
    return p === INT_ZERO || p === INT || p === FRAC || p === EXP ? this.up!.childDone(-1) : null;
  }

  sameAs(o: Frame): boolean {
    return o instanceof NumberFrame && o.node === this.node && o.phase === this.phase && o.run === this.run && sameUp(o.up, this.up);
  }
}
