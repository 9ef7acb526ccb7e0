import { DOT, MINUS, PLUS, ZERO, isDigit } from "./bytes.js";
import { Frame, sameUp, type Ctx } from "./frame.js";
import type { NumberNode } from "./grammar.js";

// Where in `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` the number is.
const SIGN = 0, INT_ZERO = 1, INT = 2, FRAC_START = 3, FRAC = 4, EXP_START = 5, EXP_SIGN = 6, EXP = 7;

// Digit runs are capped so a model cannot loop on digits; 2 exponent digits keep values finite.
const MAX_INT_DIGITS = 20, MAX_FRAC_DIGITS = 20, MAX_EXP_DIGITS = 2;

/**
 * Reads a JSON number (an integer node allows no fraction or exponent). It ends at the first byte
 * that cannot continue it, which then goes to the container. A node with a range keeps the text so
 * far and takes only digits after which some ending still lies in the range (no exponent then).
 */
export class NumberFrame extends Frame {
  declare readonly node: NumberNode;
  declare readonly phase: number;
  /** Digits in the current run. */
  declare readonly run: number;
  /** The number so far, kept only for a node with a range. */
  declare readonly text: string;

  private constructor(node: NumberNode, phase: number, run: number, text: string, up: Frame) {
    super(up, up.depth);
    this.node = node;
    this.phase = phase;
    this.run = run;
    this.text = text;
  }

  static start(node: NumberNode, up: Frame, b: number, out: Frame[]): void {
    const phase = b === MINUS ? SIGN : b === ZERO ? INT_ZERO : isDigit(b) ? INT : -1;
    if (phase < 0) return;
    const text = node.range ? String.fromCharCode(b) : "";
    if (!node.range || node.range.feasible(text)) out.push(new NumberFrame(node, phase, phase === SIGN ? 0 : 1, text, up));
  }

  /** The frame after byte b, if the range (when there is one) can still be met. */
  private to(phase: number, run: number, b: number, out: Frame[]): void {
    const range = this.node.range;
    if (!range) { out.push(new NumberFrame(this.node, phase, run, "", this.up!)); return; }
    const text = this.text + String.fromCharCode(b);
    if (range.feasible(text)) out.push(new NumberFrame(this.node, phase, run, text, this.up!));
  }

  /** Ends the number before byte b, which goes to the container. */
  private end(b: number, out: Frame[], ctx: Ctx): void {
    const e = this.endValue();
    if (e) e.step(b, out, ctx);
  }

  step(b: number, out: Frame[], ctx: Ctx): void {
    const digit = isDigit(b);
    const n = this.node;
    const isExp = (b | 0x20) === 0x65 && !n.integer && !n.range;
    const isDot = b === DOT && !n.integer;
    switch (this.phase) {
      case SIGN:
        if (digit) this.to(b === ZERO ? INT_ZERO : INT, 1, b, out);
        return;
      case INT_ZERO:
      case INT:
        if (digit) { if (this.phase === INT && this.run < MAX_INT_DIGITS) this.to(INT, this.run + 1, b, out); }
        else if (isDot) this.to(FRAC_START, 0, b, out);
        else if (isExp) this.to(EXP_START, 0, b, out);
        else this.end(b, out, ctx);
        return;
      case FRAC_START:
        if (digit) this.to(FRAC, 1, b, out);
        return;
      case FRAC:
        if (digit) { if (this.run < MAX_FRAC_DIGITS) this.to(FRAC, this.run + 1, b, out); }
        else if (isExp) this.to(EXP_START, 0, b, out);
        else this.end(b, out, ctx);
        return;
      case EXP_START:
        if (b === PLUS || b === MINUS) this.to(EXP_SIGN, 0, b, out);
        else if (digit) this.to(EXP, 1, b, out);
        return;
      case EXP_SIGN:
        if (digit) this.to(EXP, 1, b, out);
        return;
      case EXP:
        if (digit) { if (this.run < MAX_EXP_DIGITS) this.to(EXP, this.run + 1, b, out); }
        else this.end(b, out, ctx);
        return;
    }
  }

  override endValue(): Frame | null {
    const p = this.phase;
    const complete = p === INT_ZERO || p === INT || p === FRAC || p === EXP;
    return complete && (!this.node.range || this.node.range.contains(this.text)) ? this.up!.childDone(-1) : null;
  }

  sameAs(o: Frame): boolean {
    return o instanceof NumberFrame && o.node === this.node && o.phase === this.phase && o.run === this.run
      && o.text === this.text && sameUp(o.up, this.up);
  }
}
