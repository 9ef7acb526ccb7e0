import { ByteTrie } from "./byte-trie.js";
import { plainChars } from "./plain-text.js";

/** What a JSON constraint needs to know about a vocabulary. */
export interface ConstraintVocab {
  /** Number of token ids. */
  readonly size: number;
  /** The bytes a token adds to the text (may be part of a UTF-8 character). */
  piece(id: number): Uint8Array;
  /** Control tokens: never allowed inside constrained output. */
  isSpecial(id: number): boolean;
  /** End-of-generation ids: allowed once the value is complete. */
  readonly eogIds: readonly number[];
}

/**
 * The token pieces of a vocabulary arranged for masking (special, end-of-generation and empty tokens
 * left out): a trie over all of them, and, for the common case of being inside a string, the "plain"
 * tokens (see plainChars) sorted by character count plus a trie over the rest only.
 */
export class TokenTrie {
  readonly all: ByteTrie;
  /** The tokens that are not plain string content. */
  readonly nonPlain: ByteTrie;
  /** Plain tokens by ascending character count, and those counts. */
  readonly plainIds: Int32Array;
  readonly plainCounts: Int32Array;
  /** 1 for every plain token: the start of a mask inside a string without a length limit. */
  readonly plainMask: Uint8Array;
  /** The node of `all` where each id's piece ends, -1 for ids left out. */
  readonly nodeOf: Int32Array;
  readonly eog: Int32Array;
  readonly isEog: Uint8Array;
  readonly size: number;

  private static readonly cache = new WeakMap<ConstraintVocab, TokenTrie>();

  /** The tries of a vocabulary, built on first use and kept as long as the vocabulary object lives. */
  static of(vocab: ConstraintVocab): TokenTrie {
    let t = TokenTrie.cache.get(vocab);
    if (!t) TokenTrie.cache.set(vocab, (t = new TokenTrie(vocab)));
    return t;
  }

  private constructor(vocab: ConstraintVocab) {
    const size = vocab.size;
    this.size = size;
    this.isEog = new Uint8Array(size);
    for (const id of vocab.eogIds) if (Number.isInteger(id) && id >= 0 && id < size) this.isEog[id] = 1;
    this.eog = Int32Array.from(new Set(vocab.eogIds.filter((id) => this.isEog[id] === 1)));
    const keys: string[] = new Array(size);
    const ids: number[] = [], rest: number[] = [], plain: number[] = [];
    const counts = new Int32Array(size);
    for (let id = 0; id < size; id++) {
      if (this.isEog[id] || vocab.isSpecial(id)) continue;
      const p = vocab.piece(id);
      if (p.length === 0) continue;
      let k = "";
      for (let i = 0; i < p.length; i += 4096) k += String.fromCharCode(...p.subarray(i, i + 4096));
      keys[id] = k;
      ids.push(id);
      counts[id] = plainChars(p);
      (counts[id] >= 0 ? plain : rest).push(id);
    }
    this.all = new ByteTrie(keys, ids);
    this.nonPlain = new ByteTrie(keys, rest);
    plain.sort((a, b) => counts[a] - counts[b] || a - b);
    this.plainIds = Int32Array.from(plain);
    this.plainCounts = Int32Array.from(plain, (id) => counts[id]);
    this.plainMask = new Uint8Array(size);
    for (const id of plain) this.plainMask[id] = 1;
    this.nodeOf = new Int32Array(size).fill(-1);
    const { toks, tokNode } = this.all;
    for (let j = 0; j < toks.length; j++) this.nodeOf[toks[j]] = tokNode[j];
  }

  get maxPiece(): number {
    return this.all.maxPiece;
  }

  /** The piece of a token in the trie, written into `out`; returns its length (0 if left out). */
  pieceInto(id: number, out: Uint8Array): number {
    let node = Number.isInteger(id) && id >= 0 && id < this.size ? this.nodeOf[id] : -1;
    if (node < 0) return 0;
    const { depth, parent, byte } = this.all;
    const len = depth[node];
    for (let d = len; d > 0; d--, node = parent[node]) out[d - 1] = byte[node];
    return len;
  }
}
