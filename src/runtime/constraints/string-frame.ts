import { BACKSLASH, QUOTE, hexValue, isSimpleEscape, utf8Lead } from "./bytes.js";
import { Frame, sameUp } from "./frame.js";
import type { StringNode } from "./grammar.js";

// What the next byte of the string must be.
const CHAR = 0;        // any character, an escape or the closing quote
const ESCAPE = 1;      // after a backslash
const HEX = 2;         // a hex digit of \uXXXX (acc = digits so far << 16 | value)
const LOW_BACKSLASH = 3, LOW_U = 4, LOW_HEX = 5; // the \uDC00-\uDFFF that must follow a high surrogate
const UTF8 = 6;        // a UTF-8 continuation byte (acc = need | lo << 8 | hi << 16)

/**
 * Reads a JSON string after its opening quote: escapes including \uXXXX (surrogates only in pairs),
 * raw UTF-8 validated byte by byte (a token may end inside a character), and the length in code points
 * (as JSON Schema counts) kept within the node's bounds.
 */
export class StringFrame extends Frame {
  declare readonly node: StringNode;
  /** Characters so far, saturating where it stops mattering. */
  declare readonly count: number;
  declare readonly mode: number;
  declare readonly acc: number;
  /** The CHAR-mode frame this one started from (itself in CHAR mode). */
  private declare readonly base: StringFrame;

  private constructor(node: StringNode, count: number, mode: number, acc: number, up: Frame, base: StringFrame | null) {
    super(up, up.depth);
    this.node = node;
    this.count = count;
    this.mode = mode;
    this.acc = acc;
    this.base = base ?? this;
  }

  static open(node: StringNode, up: Frame): StringFrame {
    return new StringFrame(node, 0, CHAR, 0, up, null);
  }

  private to(mode: number, acc: number): StringFrame {
    return new StringFrame(this.node, this.count, mode, acc, this.up!, this.base);
  }

  /** After a whole character. Once the count no longer matters this returns the very frame the
   *  character started from, so the states (and their memoised steps) are reused: that keeps the mask
   *  walk over string content cheap. */
  private counted(): StringFrame {
    const n = this.node;
    const cap = n.maxLength !== Infinity ? n.maxLength : n.minLength;
    const count = Math.min(this.count + 1, cap);
    return count === this.count ? this.base : new StringFrame(n, count, CHAR, 0, this.up!, null);
  }

  override get plainRoom(): number {
    return this.mode === CHAR ? this.node.maxLength - this.count : -1;
  }

  step(b: number, out: Frame[]): void {
    const r = this.next(b);
    if (r !== null) out.push(r);
  }

  private next(b: number): Frame | null {
    const room = this.count < this.node.maxLength;
    switch (this.mode) {
      case CHAR:
        if (b === QUOTE) return this.count >= this.node.minLength ? this.up!.childDone(-1) : null;
        if (!room || b < 0x20) return null;
        if (b === BACKSLASH) return this.to(ESCAPE, 0);
        if (b < 0x80) return this.counted();
        const lead = utf8Lead(b);
        return lead < 0 ? null : this.to(UTF8, lead);
      case UTF8: {
        const need = this.acc & 0xff, lo = (this.acc >> 8) & 0xff, hi = this.acc >> 16;
        if (b < lo || b > hi) return null;
        return need === 1 ? this.counted() : this.to(UTF8, (need - 1) | (0x80 << 8) | (0xbf << 16));
      }
      case ESCAPE:
        if (isSimpleEscape(b)) return this.counted();
        return b === 0x75 ? this.to(HEX, 0) : null;
      case HEX:
      case LOW_HEX: {
        const h = hexValue(b);
        if (h < 0) return null;
        const digits = (this.acc >> 16) + 1;
        const value = ((this.acc & 0xffff) << 4) | h;
        // decide surrogates as early as the digits allow (a lone low surrogate is refused; after a
        // high one only \uDC00-\uDFFF may follow, so its first digit must be D)
        if (this.mode === LOW_HEX && digits === 1 && h !== 0xd) return null;
        if (digits === 2 && (this.mode === HEX) === (value >= 0xdc && value <= 0xdf)) return null;
        if (digits < 4) return this.to(this.mode, (digits << 16) | value);
        return this.mode === HEX && value >= 0xd800 && value <= 0xdbff ? this.to(LOW_BACKSLASH, 0) : this.counted();
      }
      case LOW_BACKSLASH:
        return b === BACKSLASH ? this.to(LOW_U, 0) : null;
      case LOW_U:
        return b === 0x75 ? this.to(LOW_HEX, 0) : null;
    }
    return null;
  }

  sameAs(o: Frame): boolean {
    return o instanceof StringFrame && o.node === this.node && o.count === this.count && o.mode === this.mode
      && o.acc === this.acc && sameUp(o.up, this.up);
  }
}
