import type { TokenConstraint } from "../generation.js";
import { JsonRecognizer, type RecognizerOptions, type State } from "./recognizer.js";
import { compileSchema } from "./schema-compile.js";
import { fillMask } from "./token-mask.js";
import { TokenTrie, type ConstraintVocab } from "./token-trie.js";

// Below this many `allows` calls in a step, tokens are checked one by one (greedy decoding asks about
// a handful); past it the whole mask is computed once.
const SINGLE_CHECKS = 32;

/**
 * Constrains generation to one JSON value: any value, or one valid against `schema` (a JSON Schema;
 * `{type: "json_object"}` means any object). Leading whitespace is allowed; end-of-generation ids
 * only once the value is complete. `complete` turns true when the value is closed (or ended by an
 * end-of-generation token), which ends generation.
 *
 * Pass the same `vocab` object each time: its token trie is built once and cached on it.
 */
export function createJsonConstraint(vocab: ConstraintVocab, schema?: object | boolean, options?: RecognizerOptions): JsonConstraint {
  const rec = new JsonRecognizer(schema === undefined ? undefined : compileSchema(schema), options);
  return new JsonConstraint(TokenTrie.of(vocab), rec);
}

export class JsonConstraint implements TokenConstraint {
  private state_: State;
  private done = false;
  /** This step's mask once computed; `buffer` is reused from step to step. */
  private mask: Uint8Array | null = null;
  private buffer: Uint8Array | null = null;
  private checks = 0;
  private readonly scratch: Uint8Array;

  constructor(readonly trie: TokenTrie, readonly recognizer: JsonRecognizer) {
    this.state_ = recognizer.initial;
    this.scratch = new Uint8Array(trie.maxPiece);
  }

  /** The recogniser state: an immutable snapshot. */
  get state(): State {
    return this.state_;
  }

  /** An independent copy at the same point (costs O(1): states are shared, not copied). */
  clone(): JsonConstraint {
    const c = new JsonConstraint(this.trie, this.recognizer);
    c.state_ = this.state_;
    c.done = this.done;
    return c;
  }

  get complete(): boolean {
    return this.done;
  }

  /** True when the text so far is a whole JSON value (an end-of-generation token may come). */
  get acceptsEnd(): boolean {
    return this.recognizer.acceptsEnd(this.state_);
  }

  allows(id: number): boolean {
    if (this.mask) return this.mask[id] === 1;
    if (++this.checks > SINGLE_CHECKS) return this.allowedMask()[id] === 1;
    if (id >= 0 && id < this.trie.size && this.trie.isEog[id]) return this.acceptsEnd;
    const len = this.trie.pieceInto(id, this.scratch);
    return len > 0 && this.recognizer.feed(this.state_, this.scratch.subarray(0, len)) !== null;
  }

  /** The allowed ids of this step, one byte each (1 = allowed); valid until the next `accept` (the
   *  array is reused). */
  allowedMask(): Uint8Array {
    if (!this.mask) {
      this.buffer ??= new Uint8Array(this.trie.size);
      fillMask(this.trie, this.recognizer, this.state_, this.buffer);
      this.mask = this.buffer;
    }
    return this.mask;
  }

  accept(id: number): void {
    if (id >= 0 && id < this.trie.size && this.trie.isEog[id]) {
      if (!this.acceptsEnd) throw new Error(`json constraint: end of generation (token ${id}) before the JSON value is complete`);
      this.done = true;
    } else {
      const len = this.trie.pieceInto(id, this.scratch);
      const next = len > 0 ? this.recognizer.feed(this.state_, this.scratch.subarray(0, len)) : null;
      if (next === null) throw new Error(`json constraint: token ${id} is not allowed here`);
      this.state_ = next;
      if (this.recognizer.isClosed(next)) this.done = true;
    }
    this.mask = null;
    this.checks = 0;
  }
}
