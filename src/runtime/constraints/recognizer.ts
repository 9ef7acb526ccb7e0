import { UserError } from "../../errors.js";
import type { Ctx, Frame } from "./frame.js";
import { anyValueNode, type Node } from "./grammar.js";
import { prepareGrammar } from "./grammar-prepare.js";
import { RootFrame } from "./root-frame.js";

export interface RecognizerOptions {
  /** Most containers open at once (default 32). */
  readonly maxDepth?: number;
  /** Most whitespace bytes in a row. Default 2 + 4 × depth, room for indented output; 0 = compact. */
  readonly maxWhitespace?: number;
}

// Alternatives of unions followed at once; more are dropped (any survivor still gives valid JSON).
const MAX_THREADS = 32;

/**
 * A recogniser state: the top frames of the stacks still alive (one, unless a union is undecided).
 * Immutable, so keeping or cloning one costs nothing. Steps from a state are memoised on it once it is
 * stepped a few times (a lazily built automaton), which makes the mask walk mostly table lookups.
 */
export class State {
  declare readonly tops: readonly Frame[];
  /** @internal */ declare memo: (State | null)[] | undefined;
  /** @internal */ declare steps: number;

  constructor(tops: readonly Frame[]) {
    this.tops = tops;
    this.memo = undefined;
    this.steps = 0;
  }
}

/** Accepts exactly the prefixes of the JSON texts a grammar allows, byte by byte. */
export class JsonRecognizer {
  readonly initial: State;
  private readonly ctx: Ctx;

  constructor(readonly root: Node = anyValueNode(), options: RecognizerOptions = {}) {
    const maxDepth = options.maxDepth ?? 32;
    const maxWs = options.maxWhitespace;
    if (!(Number.isInteger(maxDepth) && maxDepth >= 0 && maxDepth <= 1000)) throw new UserError("bad_argument", `json: maxDepth must be an integer in 0..1000, got ${maxDepth}`);
    if (maxWs !== undefined && !(Number.isInteger(maxWs) && maxWs >= 0 && maxWs <= 200)) throw new UserError("bad_argument", `json: maxWhitespace must be an integer in 0..200, got ${maxWs}`);
    this.ctx = {
      maxDepth,
      wsCap: maxWs !== undefined ? () => maxWs : (depth) => Math.min(200, 2 + 4 * depth),
    };
    prepareGrammar(root);
    if (root.minDepth > maxDepth) {
      throw new UserError("bad_argument", root.minDepth === Infinity
        ? "json schema: no finite JSON value satisfies it (a required property or item recurses forever)"
        : `json schema: its smallest value nests ${root.minDepth} deep, more than the limit of ${maxDepth}`);
    }
    const top = new RootFrame(root);
    this.initial = new State([top]);
    top.solo = this.initial;
  }

  /** The state after byte `b`, or null if no allowed text continues that way. */
  step(s: State, b: number): State | null {
    const m = s.memo;
    if (m !== undefined) {
      const r = m[b];
      if (r !== undefined) return r;
    }
    const r = this.compute(s, b);
    if (m !== undefined) m[b] = r;
    else if (++s.steps >= 16) (s.memo = new Array<State | null>(256))[b] = r;
    return r;
  }

  /** The state after all of `bytes`, or null. */
  feed(s: State | null, bytes: ArrayLike<number>): State | null {
    for (let i = 0; i < bytes.length && s !== null; i++) s = this.step(s, bytes[i]);
    return s;
  }

  /** True when the text so far is a complete JSON value (the end may come now). */
  acceptsEnd(s: State): boolean {
    return s.tops.some((t) => t.atEnd);
  }

  /** True when the top-level value is closed: nothing but whitespace may follow. */
  isClosed(s: State): boolean {
    return s.tops.some((t) => t.closed);
  }

  private compute(s: State, b: number): State | null {
    const out: Frame[] = [];
    for (const t of s.tops) t.step(b, out, this.ctx);
    if (out.length === 0) return null;
    const tops = out.length === 1 ? out : distinct(out);
    if (tops.length > 1) return new State(tops);
    return (tops[0].solo ??= new State(tops)) as State;
  }
}

/** Alternatives that reached the same stack are one. */
function distinct(frames: Frame[]): Frame[] {
  const kept: Frame[] = [];
  for (const f of frames) {
    if (kept.length < MAX_THREADS && !kept.some((k) => k === f || k.sameAs(f))) kept.push(f);
  }
  return kept;
}
