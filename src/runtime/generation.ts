import { UserError } from "../errors.js";
import type { ForwardHooks } from "../models/llm/hooks.js";
import type { KvCache, LanguageModel } from "../models/llm/language-model.js";
import { promptLength, type PromptSegment } from "./prompt.js";
import { atCoordinateStart, DigitTokens, medianNumber, type CoordinateDecoding } from "./coordinates.js";
import { Sampler, type SamplingOptions } from "./sampling.js";
import { StopStringFilter } from "./stop-strings.js";

/** What generation needs from a tokenizer. */
export interface TokenText {
  isEog(id: number): boolean;
  /** Bytes of a token as generated text (special tokens rendered as their text). */
  tokenToPiece(id: number, special?: boolean): Uint8Array;
}

/** Limits the tokens that may come next (constrained decoding, e.g. JSON); see runtime/constraints. */
export interface TokenConstraint {
  allows(id: number): boolean;
  accept(id: number): void;
  /** When true, the output is complete: generation ends. */
  readonly complete: boolean;
}

export interface GenerateOptions {
  readonly maxTokens?: number;
  readonly sampling?: SamplingOptions;
  /** Generation stops before any of these strings (they are not returned). */
  readonly stop?: readonly string[];
  /** Extra stop token ids (end-of-generation tokens of the vocabulary always stop unless ignoreEos). */
  readonly stopTokens?: readonly number[];
  readonly ignoreEos?: boolean;
  readonly signal?: AbortSignal;
  readonly constraint?: TokenConstraint;
  /** Render special tokens in the streamed text (default false: they are skipped). */
  readonly renderSpecial?: boolean;
  /** Special tokens rendered even without renderSpecial (answer markup such as MiniCPM-V's `<box>`). */
  readonly renderTokens?: ReadonlySet<number>;
  /** Called with (done, total) rows while the prompt is fed. */
  readonly onPrefillProgress?: (done: number, total: number) => void;
  /** Rows per prefill chunk. */
  readonly chunkSize?: number;
  /**
   * Hooks for the prefill (e.g. FrameFusion). With them the whole prompt goes through the model in one
   * forward call (the hooks see every row), rather than segment by segment.
   */
  readonly prefillHooks?: ForwardHooks;
  /**
   * Numbers inside `<box>` / `<point>` answers under greedy decoding: "median" (default) writes each number's
   * weighted median over what the model may write (see runtime/coordinates); "greedy" goes digit by digit,
   * as llama.cpp does. Sampling (temperature > 0) and constrained output always go token by token.
   */
  readonly coordinates?: CoordinateDecoding;
}

export interface GenerationStep {
  readonly token: number;
  /** New text completed by this token (may be "" while a UTF-8 character or stop string is pending).
   *  A last step with token -1 carries text held back until the end (a pending partial stop string). */
  readonly text: string;
}

export type FinishReason = "stop" | "length" | "aborted";

export interface GenerationResult {
  readonly tokens: number[];
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly promptRows: number;
  readonly prefillMs: number;
  readonly decodeMs: number;
}

/**
 * Lets other work run between tokens (HTTP, aborts, UI). Not setTimeout(0): browsers clamp repeated
 * zero timeouts to 4 ms, which would cap generation near 250 tokens/s. Node has setImmediate; browsers
 * and workers get a MessageChannel round trip.
 */
const yieldToEventLoop: () => Promise<void> = (() => {
  const g = globalThis as { setImmediate?: (cb: () => void) => unknown };
  if (typeof g.setImmediate === "function") return () => new Promise<void>((r) => void g.setImmediate!(r));
  if (typeof MessageChannel === "function") {
    const ch = new MessageChannel();
    const waiting: (() => void)[] = [];
    ch.port1.onmessage = () => waiting.shift()?.();
    return () => new Promise<void>((r) => { waiting.push(r); ch.port2.postMessage(0); });
  }
  return () => new Promise<void>((r) => setTimeout(r, 0));
})();

/** Feeds prompt segments into the cache; returns the logits of the last row. */
export async function feedPrompt(
  model: LanguageModel,
  cache: KvCache,
  segments: readonly PromptSegment[],
  opts: { signal?: AbortSignal; chunkSize?: number; onProgress?: (done: number, total: number) => void; hooks?: ForwardHooks } = {},
): Promise<Float32Array> {
  const total = promptLength(segments);
  if (total === 0) throw new UserError("bad_argument", "the prompt is empty");
  const chunk = opts.chunkSize ?? 256;
  if (opts.hooks) {
    if (opts.signal?.aborted) throw new UserError("aborted", "generation was cancelled");
    const rows = new Float32Array(total * model.config.nEmbd);
    let at = 0;
    for (const seg of segments) {
      const part = seg.kind === "tokens" ? model.embedTokens(seg.ids) : seg.rows;
      rows.set(part, at);
      at += part.length;
    }
    const r = model.forward({ kind: "embeddings", rows, n: total }, cache, { logits: "last", chunkSize: chunk, hooks: opts.hooks });
    opts.onProgress?.(total, total);
    return r.logits!;
  }
  let done = 0;
  let logits: Float32Array | undefined;
  for (let s = 0; s < segments.length; s++) {
    const seg = segments[s];
    const len = seg.kind === "tokens" ? seg.ids.length : seg.n;
    for (let at = 0; at < len; at += chunk) {
      if (opts.signal?.aborted) throw new UserError("aborted", "generation was cancelled");
      const n = Math.min(chunk, len - at);
      const last = s === segments.length - 1 && at + n === len;
      const input = seg.kind === "tokens"
        ? { kind: "tokens" as const, ids: seg.ids.slice(at, at + n) }
        : { kind: "embeddings" as const, rows: seg.rows.subarray(at * (seg.rows.length / seg.n), (at + n) * (seg.rows.length / seg.n)), n };
      const r = model.forward(input, cache, { logits: last ? "last" : "none", chunkSize: chunk });
      if (last) logits = r.logits;
      done += n;
      opts.onProgress?.(done, total);
      await yieldToEventLoop();
    }
  }
  return logits!;
}

/**
 * Generates after a prompt, as an async iterator of steps; its return value is the whole result.
 * The cache keeps the prompt and every generated token, so a chat session can continue from it.
 */
export async function* generate(
  model: LanguageModel,
  cache: KvCache,
  prompt: readonly PromptSegment[],
  tokenizer: TokenText,
  opts: GenerateOptions = {},
): AsyncGenerator<GenerationStep, GenerationResult, void> {
  const maxTokens = opts.maxTokens ?? 256;
  if (!(Number.isInteger(maxTokens) && maxTokens >= 0)) throw new UserError("bad_argument", `max tokens must be a non-negative integer, got ${maxTokens}`);
  const sampler = new Sampler(opts.sampling ?? { temperature: 0 });
  const stopIds = new Set(opts.stopTokens ?? []);
  const filter = new StopStringFilter(opts.stop ?? []);
  const decoder = new TextDecoder("utf-8", { fatal: false });
  const tokens: number[] = [];
  let text = "";
  const t0 = performance.now();
  const promptRows = promptLength(prompt);
  if (cache.nextPosition + promptRows + maxTokens > model.config.contextLength) {
    if (cache.nextPosition + promptRows >= model.config.contextLength) {
      throw new UserError("too_large", `the prompt (${promptRows} rows) does not fit the context of ${model.config.contextLength}`);
    }
  }
  let logits: Float32Array;
  try {
    logits = await feedPrompt(model, cache, prompt, { signal: opts.signal, chunkSize: opts.chunkSize, onProgress: opts.onPrefillProgress, hooks: opts.prefillHooks });
  } catch (e) {
    if (e instanceof UserError && e.code === "aborted") {
      return { tokens, text, finishReason: "aborted", promptRows, prefillMs: performance.now() - t0, decodeMs: 0 };
    }
    throw e;
  }
  const t1 = performance.now();
  let finishReason: FinishReason = "length";
  const mask = opts.constraint ? (id: number) => opts.constraint!.allows(id) : undefined;
  // the sampler's own settings decide (sampling options without a temperature sample at its default)
  const greedy = sampler.options.temperature <= 0;
  const digits = greedy && !opts.constraint && (opts.coordinates ?? "median") === "median"
    ? DigitTokens.of(tokenizer, logits.length) : undefined;
  // the end of the text so far, markup included, to tell when a coordinate starts
  let tail = "";
  const forced: number[] = [];
  for (let i = 0; i < maxTokens; i++) {
    if (opts.signal?.aborted) { finishReason = "aborted"; break; }
    let id: number;
    if (forced.length > 0) id = forced.shift()!;
    else {
      id = sampler.sample(logits, tokens, mask);
      if (digits?.has(id) && atCoordinateStart(tail)) {
        const path = medianNumber(model, cache, logits, digits);
        if (path && path.length > 0) { id = path[0]; forced.push(...path.slice(1)); }
      }
    }
    if (digits) tail = (tail + String.fromCharCode(...tokenizer.tokenToPiece(id, true))).slice(-64);
    tokens.push(id);
    opts.constraint?.accept(id);
    const isEnd = (!opts.ignoreEos && tokenizer.isEog(id)) || stopIds.has(id);
    if (isEnd) { finishReason = "stop"; break; }
    const piece = tokenizer.tokenToPiece(id, (opts.renderSpecial ?? false) || (opts.renderTokens?.has(id) ?? false));
    const delta = filter.push(decoder.decode(piece, { stream: true }));
    text += delta;
    yield { token: id, text: delta };
    if (filter.done || opts.constraint?.complete) { finishReason = "stop"; break; }
    if (i + 1 < maxTokens && cache.nextPosition < model.config.contextLength) {
      logits = model.forward({ kind: "tokens", ids: [id] }, cache, { logits: "last" }).logits!;
      await yieldToEventLoop();
    } else if (cache.nextPosition >= model.config.contextLength) {
      break;
    }
  }
  if (finishReason !== "stop" || !filter.done) {
    const tail = filter.push(decoder.decode()) + filter.flush();
    if (tail) { text += tail; yield { token: -1, text: tail }; }
  }
  return { tokens, text, finishReason, promptRows, prefillMs: t1 - t0, decodeMs: performance.now() - t1 };
}

/** Runs `generate` to the end and returns the result (for callers that do not stream). */
export async function generateAll(...args: Parameters<typeof generate>): Promise<GenerationResult> {
  const it = generate(...args);
  for (;;) {
    const r = await it.next();
    if (r.done) return r.value;
  }
}
