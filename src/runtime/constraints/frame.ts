import { isWs } from "./bytes.js";

/** Settings every frame needs while stepping. */
export interface Ctx {
  /** Most containers open at once. */
  readonly maxDepth: number;
  /** Most whitespace bytes in a row at a given container depth. */
  wsCap(depth: number): number;
}

/**
 * One level of the recogniser's pushdown stack: the value being read and what it waits for next.
 * Frames are immutable and linked to the container that waits for them (`up`), so a stack is shared
 * by every state derived from it and a snapshot is just a reference.
 *
 * Fields of frames and states are `declare`d and assigned in constructors: class-field definitions
 * run through V8's define path, which is megamorphic across the frame classes and cost about half
 * the time of a mask walk.
 */
export abstract class Frame {
  declare readonly up: Frame | null;
  declare readonly depth: number;
  /** @internal The recogniser state whose only top is this frame (one per frame, so its memo is kept). */
  declare solo: unknown;

  constructor(up: Frame | null, depth: number) {
    this.up = up;
    this.depth = depth;
    this.solo = undefined;
  }

  /** Reads byte `b`; pushes the resulting top frame(s) onto `out` (none: the byte is rejected). */
  abstract step(b: number, out: Frame[], ctx: Ctx): void;

  /** Same stack contents (for merging alternatives that met again). */
  abstract sameAs(o: Frame): boolean;

  /** The parent once this container's pending child value (or key, with its tag) is complete. */
  childDone(_tag: number): Frame {
    throw new Error(`${this.constructor.name} has no child value`);
  }

  /** For values that end without a closing byte (numbers, some literals): the frame after ending
   *  here, or null if the value cannot end here. */
  endValue(): Frame | null {
    return null;
  }

  /** True when the whole text is a complete JSON value. */
  get atEnd(): boolean {
    const e = this.endValue();
    return e !== null && e.atEnd;
  }

  /** Inside a string between characters: how many more characters fit (Infinity: no limit);
   *  -1 elsewhere. Plain text tokens are then allowed by their length alone. */
  get plainRoom(): number {
    return -1;
  }

  /** True when the top-level value is closed: only whitespace may follow. */
  get closed(): boolean {
    return false;
  }
}

export function sameUp(a: Frame | null, b: Frame | null): boolean {
  return a === b || (a !== null && b !== null && a.sameAs(b));
}

/**
 * The whitespace run after reading whitespace byte `b` in a run `ws` (bytes | newlines << 8), or -1
 * if the run would be too long. Capped so a model cannot loop on whitespace; at most 2 newlines.
 */
export function wsNext(ws: number, b: number, depth: number, ctx: Ctx): number {
  if (!isWs(b)) return -1;
  const bytes = (ws & 0xff) + 1;
  const newlines = (ws >> 8) + (b === 0x0a ? 1 : 0);
  return bytes > ctx.wsCap(depth) || newlines > 2 ? -1 : bytes | (newlines << 8);
}
