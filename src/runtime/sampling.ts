import { UserError } from "../errors.js";
import { Rng } from "./rng.js";

export interface SamplingOptions {
  /** 0 (or less) = greedy. */
  readonly temperature?: number;
  /** 0 = off. */
  readonly topK?: number;
  /** 1 = off. */
  readonly topP?: number;
  /** 0 = off. */
  readonly minP?: number;
  /** 1 = off. Applied to tokens seen in the last `repeatLastN` tokens (llama.cpp's rule). */
  readonly repetitionPenalty?: number;
  readonly repeatLastN?: number;
  readonly seed?: number;
}

export const GREEDY: SamplingOptions = { temperature: 0 };

export function validateSampling(o: SamplingOptions): void {
  const bad = (what: string) => { throw new UserError("bad_argument", `sampling: ${what}`); };
  if (o.temperature !== undefined && !(o.temperature >= 0 && Number.isFinite(o.temperature))) bad(`temperature must be >= 0, got ${o.temperature}`);
  if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 0)) bad(`top_k must be a non-negative integer, got ${o.topK}`);
  if (o.topP !== undefined && !(o.topP > 0 && o.topP <= 1)) bad(`top_p must be in (0, 1], got ${o.topP}`);
  if (o.minP !== undefined && !(o.minP >= 0 && o.minP <= 1)) bad(`min_p must be in [0, 1], got ${o.minP}`);
  if (o.repetitionPenalty !== undefined && !(o.repetitionPenalty > 0 && Number.isFinite(o.repetitionPenalty))) bad(`repetition penalty must be > 0, got ${o.repetitionPenalty}`);
}

export function argmax(logits: Float32Array, allowed?: (id: number) => boolean): number {
  let best = -1;
  let bestV = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    if (logits[i] > bestV && (!allowed || allowed(i))) { bestV = logits[i]; best = i; }
  }
  return best;
}

/**
 * Picks the next token. Order as llama.cpp's common sampler chain: repetition penalty, top-k, top-p,
 * min-p, temperature, then a draw. `mask` (constrained decoding) removes tokens before anything else.
 */
export class Sampler {
  private readonly rng: Rng;
  readonly options: Required<SamplingOptions>;

  constructor(options: SamplingOptions = {}) {
    validateSampling(options);
    this.options = {
      temperature: options.temperature ?? 0.8,
      topK: options.topK ?? 40,
      topP: options.topP ?? 0.95,
      minP: options.minP ?? 0.05,
      repetitionPenalty: options.repetitionPenalty ?? 1,
      repeatLastN: options.repeatLastN ?? 64,
      seed: options.seed ?? Math.floor(Math.random() * 2 ** 32),
    };
    this.rng = new Rng(this.options.seed);
  }

  sample(logitsIn: Float32Array, history: ArrayLike<number>, mask?: (id: number) => boolean): number {
    const o = this.options;
    let logits = logitsIn;
    if (o.repetitionPenalty !== 1 && history.length > 0) {
      logits = Float32Array.from(logitsIn);
      const seen = new Set<number>();
      for (let i = Math.max(0, history.length - o.repeatLastN); i < history.length; i++) seen.add(history[i]);
      for (const id of seen) {
        if (id < 0 || id >= logits.length) continue;
        logits[id] = logits[id] > 0 ? logits[id] / o.repetitionPenalty : logits[id] * o.repetitionPenalty;
      }
    }
    if (o.temperature <= 0) {
      const id = argmax(logits, mask);
      if (id < 0) throw new Error("sampler: every token is masked");
      return id;
    }
    // candidates sorted by logit, descending
    let cand: number[] = [];
    for (let i = 0; i < logits.length; i++) if (!mask || mask(i)) cand.push(i);
    if (cand.length === 0) throw new Error("sampler: every token is masked");
    cand.sort((a, b) => logits[b] - logits[a]);
    if (o.topK > 0 && cand.length > o.topK) cand = cand.slice(0, o.topK);
    const maxL = logits[cand[0]];
    let probs = cand.map((id) => Math.exp(logits[id] - maxL));
    const norm = (p: number[]) => { const s = p.reduce((a, b) => a + b, 0); return p.map((x) => x / s); };
    probs = norm(probs);
    if (o.topP < 1) {
      let cum = 0;
      let keep = cand.length;
      for (let i = 0; i < probs.length; i++) { cum += probs[i]; if (cum >= o.topP) { keep = i + 1; break; } }
      cand = cand.slice(0, keep);
      probs = norm(probs.slice(0, keep));
    }
    if (o.minP > 0) {
      const th = probs[0] * o.minP;
      let keep = probs.findIndex((p) => p < th);
      if (keep < 0) keep = probs.length;
      keep = Math.max(1, keep);
      cand = cand.slice(0, keep);
      probs = probs.slice(0, keep);
    }
    // temperature on the surviving logits
    const scaled = cand.map((id) => Math.exp((logits[id] - maxL) / o.temperature));
    const total = scaled.reduce((a, b) => a + b, 0);
    let r = this.rng.next() * total;
    for (let i = 0; i < cand.length; i++) {
      r -= scaled[i];
      if (r <= 0) return cand[i];
    }
    return cand[cand.length - 1];
  }
}
