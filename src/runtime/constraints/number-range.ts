/**
 * Bounds on a number (minimum, maximum, exclusive ones), decided exactly on decimal text.
 *
 * Bounded numbers are written without exponent and with at most 15 digits. Any two such decimals
 * are distinct doubles in the same order (15 ≤ DBL_DIG), and a bound b is compared through its
 * shortest round-trip text String(b): x ≥ String(lo) then gives Number(x) ≥ lo, and x > String(lo)
 * gives Number(x) > lo, which is what a validator checks after JSON.parse.
 *
 * Values are integers scaled by 10^15 (every 15-digit decimal is one), bounds inclusive.
 */
export const MAX_BOUNDED_DIGITS = 15;
const S = 15;
const TEN = 10n;
const pow10 = (n: number) => TEN ** BigInt(n);

export class NumberRange {
  constructor(readonly lo: bigint | null, readonly hi: bigint | null, readonly integer: boolean) {}

  /** The range of the keywords, or null if none is set. */
  static of(min: number | undefined, exMin: number | undefined, max: number | undefined, exMax: number | undefined, integer: boolean): NumberRange | null {
    if (min === undefined && exMin === undefined && max === undefined && exMax === undefined) return null;
    const los = [min !== undefined ? ceilScaled(min) : null, exMin !== undefined ? floorScaled(exMin) + 1n : null];
    const his = [max !== undefined ? floorScaled(max) : null, exMax !== undefined ? ceilScaled(exMax) - 1n : null];
    const pick = (xs: (bigint | null)[], better: (a: bigint, b: bigint) => boolean) =>
      xs.reduce<bigint | null>((acc, x) => (x === null ? acc : acc === null || better(x, acc) ? x : acc), null);
    return new NumberRange(pick(los, (a, b) => a > b), pick(his, (a, b) => a < b), integer);
  }

  /** True if the complete number `text` lies in the range. */
  contains(text: string): boolean {
    const p = parse(text);
    return p !== null && p.frac !== "" && this.inside(value(p.neg, p.int, p.frac ?? ""));
  }

  /** True if `text` (a prefix of a number: "-", "12", "0.", "3.25") can still end inside the range. */
  feasible(text: string): boolean {
    const p = parse(text);
    return p !== null && this.search(p.neg, p.int, p.frac);
  }

  private inside(v: bigint): boolean {
    return (this.lo === null || v >= this.lo) && (this.hi === null || v <= this.hi);
  }

  /** Depth-first over the digits that may follow, skipping branches whose values all miss. */
  private search(neg: boolean, int: string, frac: string | null): boolean {
    const used = int.length + (frac?.length ?? 0);
    if (used > MAX_BOUNDED_DIGITS) return false;
    const [mn, mx] = magnitudes(int, frac);
    const a = neg ? -mx : mn, b = neg ? -mn : mx;
    if ((this.lo !== null && b < this.lo) || (this.hi !== null && a > this.hi)) return false;
    const canEnd = int !== "" && frac !== "";
    if (canEnd && this.inside(value(neg, int, frac ?? ""))) return true;
    if ((this.lo === null || a >= this.lo) && (this.hi === null || b <= this.hi) && used < MAX_BOUNDED_DIGITS) return true;
    if (used === MAX_BOUNDED_DIGITS) return false;
    if (frac === null && int !== "0") {
      for (let d = 0; d <= 9; d++) if (this.search(neg, int + d, null)) return true;
    }
    if (frac !== null) {
      for (let d = 0; d <= 9; d++) if (this.search(neg, int, frac + d)) return true;
    } else if (int !== "" && !this.integer && this.search(neg, int, "")) return true;
    return false;
  }
}

/** Sign, integer digits and fraction digits (null: no dot yet) of a number prefix. */
function parse(text: string): { neg: boolean; int: string; frac: string | null } | null {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m) return null;
  return { neg: m[1] === "-", int: m[2], frac: m[3] ?? null };
}

/** Scaled value of ±int.frac. */
function value(neg: boolean, int: string, frac: string): bigint {
  const v = BigInt(int || "0") * pow10(S) + BigInt((frac + "0".repeat(S)).slice(0, S) || "0");
  return neg ? -v : v;
}

/** Smallest and largest magnitude (scaled) a prefix can still reach within the digit cap. */
function magnitudes(int: string, frac: string | null): [bigint, bigint] {
  const r = MAX_BOUNDED_DIGITS - int.length - (frac?.length ?? 0); // digits left
  if (int === "") return [0n, pow10(MAX_BOUNDED_DIGITS + S) - 1n];
  const base = value(false, int, frac ?? "");
  if (frac === null) {
    if (int === "0") return [0n, pow10(S) - pow10(S - r)]; // 0.99…9
    return [base, (BigInt(int) * pow10(r) + pow10(r) - 1n) * pow10(S)]; // more integer digits
  }
  return [base, base + pow10(S - frac.length) - pow10(S - frac.length - r)]; // more fraction digits
}

/** floor(x · 10^15) and ceil(x · 10^15), exactly, from the shortest text of x. */
function floorScaled(x: number): bigint {
  return scaled(x, false);
}

function ceilScaled(x: number): bigint {
  return scaled(x, true);
}

function scaled(x: number, up: boolean): bigint {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x));
  if (!m) throw new Error(`number bound ${x} has no decimal form`);
  const digits = BigInt(m[2] + (m[3] ?? ""));
  const exp = Number(m[4] ?? 0) - (m[3]?.length ?? 0) + S; // x·10^S = ±digits·10^exp
  let v: bigint;
  if (exp >= 0) v = digits * pow10(exp);
  else {
    const d = pow10(-exp);
    v = digits / d;
    const exact = v * d === digits;
    // truncation of the magnitude; adjust toward +∞ or -∞ as asked, with the sign in mind
    if (!exact && (m[1] === "-" ? !up : up)) v += 1n;
  }
  return m[1] === "-" ? -v : v;
}
