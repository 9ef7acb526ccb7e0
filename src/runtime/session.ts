import type { KvCache, LanguageModel } from "../models/llm/language-model.js";
import { generate, type GenerateOptions, type GenerationResult, type GenerationStep, type TokenText } from "./generation.js";
import { rowKeys, sliceSegments, type PromptSegment } from "./prompt.js";

/**
 * A reusable conversation state over one KV cache. Each turn hands in the WHOLE prompt (the chat
 * template rendered over all messages so far); the session finds how much of it the cache already
 * holds (same token ids, same image rows), rewinds the cache to that point and feeds only the rest.
 * This stays correct when a template rewrites earlier turns (e.g. Qwen3 drops old thinking blocks).
 */
export class ChatSession {
  private readonly cache: KvCache;
  /** Identity of every row in the cache, in order. */
  private held: (number | string)[] = [];

  constructor(readonly model: LanguageModel, readonly tokenizer: TokenText, maxRows?: number) {
    this.cache = model.newCache(maxRows);
  }

  /** Rows the cache holds now. */
  get length(): number {
    return this.held.length;
  }

  /** Rows of `prompt` that were reused from the cache by the last turn. */
  reusedRows = 0;

  async *turn(prompt: readonly PromptSegment[], opts: GenerateOptions = {}): AsyncGenerator<GenerationStep, GenerationResult, void> {
    const keys = rowKeys(prompt);
    let common = 0;
    while (common < keys.length && common < this.held.length && keys[common] === this.held[common]) common++;
    // Always feed at least the last row: its logits start the generation.
    if (common === keys.length) common = keys.length - 1;
    if (common < this.held.length) this.cache.truncate(common);
    this.held = keys.slice(0, common);
    this.reusedRows = common;
    const rest = sliceSegments(prompt, common);
    const it = generate(this.model, this.cache, rest, this.tokenizer, opts);
    let result: GenerationResult;
    try {
      for (;;) {
        const r = await it.next();
        if (r.done) { result = r.value; break; }
        yield r.value;
      }
    } catch (e) {
      // the cache may hold a partial prompt: forget this turn entirely
      this.cache.truncate(common);
      throw e;
    }
    this.held.push(...keys.slice(common));
    // Generated tokens are in the cache except the last one (never fed back).
    const fed = result.tokens.slice(0, Math.max(0, this.cache.nextPosition - this.held.length));
    this.held.push(...fed);
    return result;
  }

  reset(): void {
    this.cache.clear();
    this.held = [];
  }
}
