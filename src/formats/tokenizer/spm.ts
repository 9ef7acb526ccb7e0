/**
 * SentencePiece vocabularies (`tokenizer.ggml.model = "llama"`) as llama.cpp tokenizes them (llm_tokenizer_spm):
 * spaces become "▁", an optional space is put before text that starts the input or follows a special token,
 * adjacent symbols are merged highest-score first, and whatever is not a token comes out as byte tokens.
 */
import { UserError } from "../../errors.js";
import type { PreTokenizer } from "./pre-tokenizers.js";
import type { Fragment } from "./special-split.js";
import { ATTR_BYTE, ATTR_CONTROL, ATTR_NORMAL, ATTR_UNKNOWN, ATTR_USER_DEFINED } from "./token-attrs.js";
import { utf8Encode } from "./unicode.js";

/** SentencePiece's space mark, U+2581 "▁". */
export const SPACE_MARK = "\u2581";

/**
 * What llama.cpp uses in place of a pre-tokenizer for SentencePiece vocabularies (LLAMA_VOCAB_PRE_TYPE_DEFAULT
 * whatever `tokenizer.ggml.pre` says): no splitting, no clean-up of spaces, BOS added unless the file says no.
 */
export const SPM_PRE: PreTokenizer = { name: "default", steps: [], ignoreMerges: false, cleanSpaces: false, addBos: true };

/** llama.cpp's special-id defaults for SentencePiece vocabularies, used when the GGUF has no valid id. */
export const SPM_DEFAULT_IDS = [
  ["unk", "tokenizer.ggml.unknown_token_id", 0],
  ["bos", "tokenizer.ggml.bos_token_id", 1],
  ["eos", "tokenizer.ggml.eos_token_id", 2],
] as const;

interface Bigram { score: number; left: number; right: number; text: string }

/** Max-heap on score; among equal scores the leftmost pair first (llama.cpp's llm_bigram_spm::comparator). */
class BigramQueue {
  private readonly h: Bigram[] = [];

  get size(): number { return this.h.length; }

  private static before(a: Bigram, b: Bigram): boolean {
    return a.score > b.score || (a.score === b.score && a.left < b.left);
  }

  push(x: Bigram): void {
    const h = this.h;
    h.push(x);
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!BigramQueue.before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  pop(): Bigram {
    const h = this.h;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && BigramQueue.before(h[l], h[m])) m = l;
        if (r < h.length && BigramQueue.before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

/**
 * The symbols left after SentencePiece's greedy merging: starting from `symbols` (one per character), the
 * adjacent pair whose concatenation is a token with the highest score is merged (leftmost first on equal
 * scores), again and again until no adjacent pair forms a token. `score(text)` is the score of the token
 * spelled `text`, or undefined when there is none.
 */
export function spmMerge(symbols: readonly string[], score: (text: string) => number | undefined): string[] {
  const n = symbols.length;
  if (n <= 1) return [...symbols];
  const text = [...symbols];
  const prev = new Int32Array(n);
  const next = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  const queue = new BigramQueue();
  const consider = (left: number, right: number) => {
    if (left < 0 || right < 0) return;
    const t = text[left] + text[right];
    const s = score(t);
    if (s !== undefined) queue.push({ score: s, left, right, text: t });
  };
  for (let i = 1; i < n; i++) consider(i - 1, i);

  while (queue.size > 0) {
    const b = queue.pop();
    const l = text[b.left], r = text[b.right];
    // stale: one side was merged away or grew after this pair was queued
    if (l.length === 0 || r.length === 0 || l.length + r.length !== b.text.length) continue;
    text[b.left] = b.text;
    text[b.right] = "";
    next[b.left] = next[b.right];
    if (next[b.right] >= 0) prev[next[b.right]] = b.left;
    consider(prev[b.left], b.left);
    consider(b.left, next[b.left]);
  }
  const out: string[] = [];
  for (let i = 0; i !== -1; i = next[i]) out.push(text[i]);
  return out;
}

/** What the SentencePiece encoder needs from a vocabulary. */
export interface SpmVocab {
  readonly file: string;
  readonly ids: ReadonlyMap<string, number>;
  readonly scores: Float32Array;
  readonly addSpacePrefix: boolean;
}

/** The token of one byte: "<0xAB>", else the byte itself as a one-character token (ASCII only), else -1. */
function byteTokens(ids: ReadonlyMap<string, number>): Int32Array {
  const out = new Int32Array(256).fill(-1);
  for (let b = 0; b < 256; b++) {
    const id = ids.get(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`) ?? (b < 0x80 ? ids.get(String.fromCharCode(b)) : undefined);
    if (id !== undefined) out[b] = id;
  }
  return out;
}

/** SentencePiece encoding of text already split at special tokens, as llama.cpp's llama_tokenize does it. */
export class SpmEncoder {
  private readonly byteIds: Int32Array;
  private readonly score: (text: string) => number | undefined;

  constructor(private readonly vocab: SpmVocab) {
    this.byteIds = byteTokens(vocab.ids);
    const { ids, scores } = vocab;
    this.score = (text) => {
      const id = ids.get(text);
      return id === undefined ? undefined : scores[id];
    };
  }

  /** The newline token llama.cpp picks for SentencePiece vocabularies: the byte token of "\n", or null. */
  newline(): number | null {
    const id = this.byteIds[0x0a];
    return id >= 0 ? id : null;
  }

  /** Appends the ids of the fragments (special tokens as they are, text merged), without BOS/EOS. */
  encode(fragments: readonly Fragment[], out: number[]): void {
    let afterSpecial = true; // the start of the input counts as "after a special token"
    for (const f of fragments) {
      if (typeof f === "number") {
        out.push(f);
        afterSpecial = true;
        continue;
      }
      const text = this.vocab.addSpacePrefix && afterSpecial ? " " + f : f;
      this.encodeText(text.replaceAll(" ", SPACE_MARK), out);
      afterSpecial = false;
    }
  }

  /** One escaped text fragment: merge, then spell out every symbol that is not a token as byte tokens. */
  private encodeText(text: string, out: number[]): void {
    const ids = this.vocab.ids;
    for (const sym of spmMerge(Array.from(text), this.score)) {
      const id = ids.get(sym);
      if (id !== undefined) { out.push(id); continue; }
      for (const b of utf8Encode(sym)) {
        const byteId = this.byteIds[b];
        if (byteId < 0) {
          throw new UserError("bad_file", `${this.vocab.file}: the vocabulary has no token for byte 0x${b.toString(16).padStart(2, "0")} (byte fallback of ${JSON.stringify(sym)})`);
        }
        out.push(byteId);
      }
    }
  }
}

const EMPTY = new Uint8Array(0);

/**
 * The bytes of a SentencePiece token as llama_token_to_piece(special = true) gives them: control, unknown and
 * user-defined tokens as their text, normal tokens with "▁" turned back into spaces, byte tokens (<0xAB>) as
 * their byte, anything else (unused, undefined) as nothing.
 */
export function spmPieceBytes(text: string, attr: number): Uint8Array {
  if (attr & (ATTR_UNKNOWN | ATTR_CONTROL | ATTR_USER_DEFINED)) return utf8Encode(text);
  if (attr & ATTR_NORMAL) return utf8Encode(text.replaceAll(SPACE_MARK, " "));
  if (attr & ATTR_BYTE) return Uint8Array.of(parseInt(text.slice(3, 5), 16) & 0xff);
  return EMPTY;
}
