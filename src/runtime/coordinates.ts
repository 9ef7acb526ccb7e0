import { softmaxRows } from "../compute/elementwise.js";
import type { KvCache, LanguageModel } from "../models/llm/language-model.js";
import type { TokenText } from "./generation.js";

/**
 * How the numbers inside `<box>…</box>` / `<point>…</point>` answers are decoded under greedy decoding.
 * - "greedy": digit by digit, each the most likely token (what llama.cpp does).
 * - "median": each number as a whole: the engine looks ahead over the digit tokens, weighs every number the
 *   model could write by its probability, and writes the weighted median (the value with the least expected
 *   absolute error, i.e. minimum-Bayes-risk decoding under |error|). Digit-by-digit greedy commits to the
 *   likeliest leading digit even when most of the mass is on a neighbouring value across a digit boundary
 *   (498 vs 503); the median does not.
 */
export type CoordinateDecoding = "greedy" | "median";

export interface CoordinateSearchOptions {
  /** Branches whose probability falls below this are not expanded (default 2e-3). */
  readonly minProb?: number;
  /** Most look-ahead forward calls per number (default 48). */
  readonly budget?: number;
  /**
   * Largest number a coordinate can be (default 1000: MiniCPM-V's coordinates are 0-1000). A number that
   * cannot take another digit without passing it is complete, so its probability needs no forward call.
   */
  readonly maxValue?: number;
}

// At the start of a number inside an open <box> / <point> tag: right after the tag or after a separator.
const AT_NUMBER = /<(?:box|point)>(?:\s*\d+\s*[ ,]\s*)*$/;

/** True when `tail` (the end of the generated text, markup included) leaves the next token at a coordinate's start. */
export function atCoordinateStart(tail: string): boolean {
  return AT_NUMBER.test(tail);
}

/** Token ids whose text is one or more ASCII digits, with that text (built once per tokenizer). */
export class DigitTokens {
  readonly ids: number[] = [];
  readonly text = new Map<number, string>();

  constructor(tokenizer: TokenText, nVocab: number) {
    for (let id = 0; id < nVocab; id++) {
      const b = tokenizer.tokenToPiece(id, false);
      if (b.length === 0 || b.length > 4) continue;
      let digits = true;
      for (const c of b) if (c < 0x30 || c > 0x39) { digits = false; break; }
      if (!digits) continue;
      this.ids.push(id);
      this.text.set(id, String.fromCharCode(...b));
    }
  }

  has(id: number): boolean {
    return this.text.has(id);
  }

  private static readonly cache = new WeakMap<TokenText, DigitTokens>();

  static of(tokenizer: TokenText, nVocab: number): DigitTokens {
    let d = DigitTokens.cache.get(tokenizer);
    if (!d) { d = new DigitTokens(tokenizer, nVocab); DigitTokens.cache.set(tokenizer, d); }
    return d;
  }
}

const softmax = (logits: Float32Array): Float32Array => softmaxRows(Float32Array.from(logits), 1, logits.length);

interface Branch { readonly path: number[]; readonly digits: string; readonly prob: number }

/** The probability of each number the model may write next, from `logits` (the cache holds everything before it). */
export function numberDistribution(
  model: LanguageModel,
  cache: KvCache,
  logits: Float32Array,
  digits: DigitTokens,
  opts: CoordinateSearchOptions = {},
): Map<number, { prob: number; path: number[] }> {
  const minProb = opts.minProb ?? 2e-3;
  const budget = opts.budget ?? 48;
  const maxValue = opts.maxValue ?? 1000;
  const start = cache.nextPosition;
  const values = new Map<number, { prob: number; path: number[] }>();
  // Best-first: the likeliest unexpanded branch next, so a spent budget leaves out only the unlikely ones.
  const open: Branch[] = [];
  const record = (v: number, mass: number, path: number[]) => {
    const had = values.get(v);
    if (!had) values.set(v, { prob: mass, path });
    else { if (mass > had.prob) had.path = path; had.prob += mass; }
  };
  const grow = (from: Branch, probs: Float32Array) => {
    let digitMass = 0;
    const extend = from.digits !== "0"; // no leading zeros: a lone "0" is a number
    for (const id of digits.ids) {
      const p = probs[id];
      digitMass += p;
      const mass = from.prob * p;
      if (!extend || mass < minProb / 100) continue;
      const text = from.digits + digits.text.get(id)!;
      const value = Number(text);
      if (value > maxValue) continue;
      const path = [...from.path, id];
      if (value * 10 > maxValue) record(value, mass, path); // no digit can follow: complete, free
      else if (mass >= minProb) open.push({ path, digits: text, prob: mass });
    }
    // the number ends here when the next token is not a digit (negligible endings are not kept)
    const mass = from.prob * Math.max(0, 1 - digitMass);
    if (from.digits !== "" && mass >= minProb) record(Number(from.digits), mass, from.path);
  };
  grow({ path: [], digits: "", prob: 1 }, softmax(logits));
  for (let spent = 0; open.length > 0 && spent < budget; spent++) {
    let best = 0;
    for (let i = 1; i < open.length; i++) if (open[i].prob > open[best].prob) best = i;
    const b = open.splice(best, 1)[0];
    cache.truncate(start);
    const r = model.forward({ kind: "tokens", ids: b.path }, cache, { logits: "last" });
    grow(b, softmax(r.logits!));
  }
  // Branches left open when the budget ran out are dropped (their numbers are unknown): the median is over
  // the mass the search reached, which the best-first order makes the bulk of it.
  cache.truncate(start);
  return values;
}

/** The weighted median of a distribution over numbers (the value minimising the expected absolute error). */
export function weightedMedian(values: Map<number, { prob: number }>): number | undefined {
  const sorted = [...values.entries()].sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((s, [, v]) => s + v.prob, 0);
  let acc = 0;
  for (const [value, v] of sorted) {
    acc += v.prob;
    if (acc >= total / 2) return value;
  }
  return undefined;
}

/**
 * The tokens of the number to write at a coordinate's start: the weighted median of what the model may write
 * there (undefined if the numbers the search completed hold less than half the probability). Leaves the cache as
 * it found it.
 */
export function medianNumber(
  model: LanguageModel,
  cache: KvCache,
  logits: Float32Array,
  digits: DigitTokens,
  opts?: CoordinateSearchOptions,
): number[] | undefined {
  const values = numberDistribution(model, cache, logits, digits, opts);
  // a median of less than half the probability says little: then the caller keeps the greedy token
  let reached = 0;
  for (const { prob } of values.values()) reached += prob;
  const v = reached >= 0.5 ? weightedMedian(values) : undefined;
  return v === undefined ? undefined : values.get(v)!.path;
}
