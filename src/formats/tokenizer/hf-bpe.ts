/**
 * A Hugging Face `tokenizers` BPE pipeline without byte-level alphabet — the SentencePiece style of Llama-2,
 * Mistral and MiniCPM4 (MiniCPM-V 4.0): spaces become "▁" through a normalizer (Prepend "▁" + Replace " " → "▁")
 * or a Metaspace pre-tokenizer, characters missing from the vocabulary fall back to `<0xXX>` byte tokens, and
 * decoding runs the tokenizer.json decoder chain (Replace "▁" → " ", ByteFallback, Fuse, Strip / Metaspace).
 *
 * Encoding follows the `tokenizers` library (tokenizer/added_vocabulary.rs, models/bpe): added tokens are split
 * out first (leftmost-longest; non-normalized ones in the raw text, then the normalizer runs on each remaining
 * piece and normalized ones are matched in its output), each piece is pre-tokenized, and every pre-token is
 * merged by merge rank (lowest first, leftmost on ties) from its characters, where a character outside the
 * vocabulary has already become its byte tokens (or `unk`). These are not llama.cpp's SentencePiece rules
 * (spm.ts): merges come from the merges list, not token scores, and the "▁" prefix follows the normalizer.
 */
import { UserError } from "../../errors.js";
import { bpeMergeSymbols } from "./bpe.js";
import { utf8Encode } from "./unicode.js";

export type HfNormalizerStep =
  | { readonly type: "prepend"; readonly prepend: string }
  | { readonly type: "replace"; readonly pattern: string; readonly content: string }
  | { readonly type: "unicode"; readonly form: "NFC" | "NFD" | "NFKC" | "NFKD" };

export type PrependScheme = "always" | "first" | "never";

export interface HfMetaspace {
  readonly replacement: string;
  readonly prependScheme: PrependScheme;
  /** Split the piece before every replacement character (the `tokenizers` default). */
  readonly split: boolean;
}

export type HfDecoderStep =
  | { readonly type: "replace"; readonly pattern: string; readonly content: string }
  | { readonly type: "byteFallback" }
  | { readonly type: "fuse" }
  | { readonly type: "strip"; readonly content: string; readonly start: number; readonly stop: number }
  | { readonly type: "metaspace"; readonly replacement: string; readonly prependScheme: PrependScheme };

export interface HfAddedTokenSpec {
  readonly id: number;
  readonly content: string;
  readonly special: boolean;
  readonly singleWord: boolean;
  readonly lstrip: boolean;
  readonly rstrip: boolean;
  /** Matched in the normalized text (its content normalized too) rather than the raw text. */
  readonly normalized: boolean;
}

/** A SentencePiece-style BPE model and the pipeline around it, as tokenizer.json gives them. */
export interface HfBpePipeline {
  /** In rank order. */
  readonly merges: readonly (readonly [string, string])[];
  readonly unkToken: string | null;
  readonly fuseUnk: boolean;
  readonly byteFallback: boolean;
  /** A whole pre-token found in the vocabulary is used as is. */
  readonly ignoreMerges: boolean;
  readonly normalizer: readonly HfNormalizerStep[];
  /** Pre-tokenizer steps, in order (none: each piece is one pre-token). */
  readonly preTokenizer: readonly HfMetaspace[];
  /** Null: no decoder (tokens joined with spaces, as `tokenizers` does). */
  readonly decoder: readonly HfDecoderStep[] | null;
}

/** Everything of a tokenizer.json (and tokenizer_config.json) that encoding and decoding depend on. */
export interface HfBpeSpec extends HfBpePipeline {
  /** Shown in messages. */
  readonly where: string;
  /** The BPE model's vocabulary, text → id. */
  readonly vocab: ReadonlyMap<string, number>;
  readonly added: readonly HfAddedTokenSpec[];
  /** transformers' `clean_up_tokenization_spaces` after decoding. */
  readonly cleanUpSpaces: boolean;
}

// Rust regex classes of added_vocabulary.rs: \w and \s are Unicode-aware
const WORD_AT_END = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]$/u;
const WORD_AT_START = /^[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u;
const SPACE_AT_END = /\p{White_Space}*$/u;
const SPACE_AT_START = /^\p{White_Space}*/u;

/** A piece of the input on its way to tokens: text still to tokenize, or an added token's id. */
type Piece = { text: string; atStart: boolean } | number;

interface Pattern { readonly text: string; readonly token: HfAddedTokenSpec }

/** Added-token patterns by first UTF-16 unit, longest first: leftmost-longest matching by scanning. */
class AddedMatcher {
  private readonly byFirst = new Map<string, Pattern[]>();

  constructor(patterns: readonly Pattern[]) {
    for (const p of patterns) {
      if (p.text === "") continue;
      const list = this.byFirst.get(p.text[0]) ?? [];
      list.push(p);
      this.byFirst.set(p.text[0], list);
    }
    for (const list of this.byFirst.values()) list.sort((a, b) => b.text.length - a.text.length);
  }

  get empty(): boolean { return this.byFirst.size === 0; }

  /**
   * Splits `text` at added tokens as `AddedVocabulary::find_matches` does: matches are found leftmost-longest
   * and never overlap; a special token is left in the text when `parseSpecial` is off; single-word tokens
   * must not touch word characters; lstrip / rstrip tokens swallow the whitespace beside them.
   */
  split(text: string, atStart: boolean, parseSpecial: boolean, out: Piece[]): void {
    if (this.empty) { out.push({ text, atStart }); return; }
    let from = 0; // start of the text not yet emitted
    let i = 0;
    while (i < text.length) {
      const m = this.longestAt(text, i);
      if (!m) { i++; continue; }
      let start = i, stop = i + m.text.length;
      i = stop;
      const t = m.token;
      if (t.special && !parseSpecial) continue;
      if (t.singleWord) {
        const startOk = start === 0 || !WORD_AT_END.test(text.slice(0, start));
        const stopOk = stop === text.length || !WORD_AT_START.test(text.slice(stop));
        if (!startOk || !stopOk) continue;
      }
      if (t.lstrip) start = Math.max(SPACE_AT_END.exec(text.slice(0, start))!.index, from);
      if (t.rstrip) stop += SPACE_AT_START.exec(text.slice(stop))![0].length;
      if (from < start) out.push({ text: text.slice(from, start), atStart: atStart && from === 0 });
      out.push(t.id);
      from = i = stop;
    }
    if (from < text.length) out.push({ text: text.slice(from), atStart: atStart && from === 0 });
  }

  private longestAt(text: string, i: number): Pattern | undefined {
    const list = this.byFirst.get(text[i]);
    if (list) for (const p of list) if (text.startsWith(p.text, i)) return p;
    return undefined;
  }
}

const CACHE_LIMIT = 1 << 14;
/** Longer words are not cached (`tokenizers` caches words under 256 bytes): a legacy piece can be a whole text. */
const CACHED_WORD_LENGTH = 256;

/** Encoder and decoder of one HfBpeSpec. */
export class HfBpe {
  private readonly ranks = new Map<string, Map<string, number>>();
  private readonly idToText = new Map<number, string>();
  private readonly specialIds = new Set<number>();
  private readonly raw: AddedMatcher;
  private readonly normalized: AddedMatcher;
  private readonly cache = new Map<string, readonly number[]>();

  constructor(private readonly spec: HfBpeSpec) {
    const { vocab, where } = spec;
    spec.merges.forEach(([a, b], rank) => {
      for (const part of [a, b]) {
        if (!vocab.has(part)) throw new UserError("bad_file", `${where}: merge ${JSON.stringify(`${a} ${b}`)} uses ${JSON.stringify(part)}, which is not in the vocabulary`);
      }
      if (!vocab.has(a + b)) throw new UserError("bad_file", `${where}: merge ${JSON.stringify(`${a} ${b}`)} makes ${JSON.stringify(a + b)}, which is not in the vocabulary`);
      let row = this.ranks.get(a);
      if (!row) this.ranks.set(a, (row = new Map()));
      row.set(b, rank); // a repeated merge takes its last rank, as the `tokenizers` merge map does
    });
    for (const [text, id] of vocab) this.idToText.set(id, text);
    const raw: Pattern[] = [], norm: Pattern[] = [];
    for (const t of spec.added) {
      this.idToText.set(t.id, t.content);
      if (t.special) this.specialIds.add(t.id);
      if (t.normalized && spec.normalizer.length > 0) norm.push({ text: this.normalize(t.content), token: t });
      else (t.normalized ? norm : raw).push({ text: t.content, token: t });
    }
    // a content both special and not (repeated in added_tokens) counts as special, by text
    const specialTexts = new Set(spec.added.filter((t) => t.special).map((t) => t.content));
    for (const [id, text] of this.idToText) if (specialTexts.has(text)) this.specialIds.add(id);
    this.raw = new AddedMatcher(raw);
    this.normalized = new AddedMatcher(norm);
  }

  /** Token ids of `text` without post-processing (no BOS/EOS). `parseSpecial` off leaves special tokens as text. */
  encode(text: string, parseSpecial: boolean): number[] {
    const out: number[] = [];
    if (text === "") return out;
    const first: Piece[] = [];
    this.raw.split(text, true, parseSpecial, first);
    for (const p of first) {
      if (typeof p === "number") { out.push(p); continue; }
      const normalized = this.normalize(p.text);
      if (normalized === "") continue;
      const second: Piece[] = [];
      this.normalized.split(normalized, p.atStart, parseSpecial, second);
      for (const q of second) {
        if (typeof q === "number") out.push(q);
        else for (const word of this.preTokenize(q.text, q.atStart)) this.word(word, out);
      }
    }
    return out;
  }

  /** Text of the ids as `Tokenizer::decode(ids, skip_special_tokens)`, then transformers' optional clean-up. */
  decode(ids: readonly number[], skipSpecial: boolean): string {
    const tokens: string[] = [];
    for (const id of ids) {
      const t = this.idToText.get(id);
      if (t === undefined || (skipSpecial && this.specialIds.has(id))) continue;
      tokens.push(t);
    }
    let text: string;
    if (this.spec.decoder === null) text = tokens.join(" ");
    else {
      let list = tokens;
      for (const step of this.spec.decoder) list = decodeStep(step, list);
      text = list.join("");
    }
    return this.spec.cleanUpSpaces ? cleanUpTokenization(text) : text;
  }

  private normalize(text: string): string {
    for (const n of this.spec.normalizer) {
      if (n.type === "prepend") { if (text !== "") text = n.prepend + text; }
      else if (n.type === "replace") text = text.replaceAll(n.pattern, n.content);
      else text = text.normalize(n.form);
    }
    return text;
  }

  /** Metaspace steps; `atStart`: the piece begins at offset 0 of the input (prepend scheme "first"). */
  private preTokenize(text: string, atStart: boolean): string[] {
    let words = [text];
    for (const m of this.spec.preTokenizer) {
      const next: string[] = [];
      words.forEach((w, i) => {
        let s = w.replaceAll(" ", m.replacement);
        const prepend = m.prependScheme === "always" || (m.prependScheme === "first" && atStart && i === 0);
        if (prepend && !s.startsWith(m.replacement)) s = m.replacement + s;
        if (!m.split) { if (s !== "") next.push(s); return; }
        // MergedWithNext: each replacement character starts a new word
        let from = 0;
        for (let at = s.indexOf(m.replacement, 1); at >= 0; at = s.indexOf(m.replacement, at + 1)) {
          if (at > from) next.push(s.slice(from, at));
          from = at;
        }
        if (from < s.length) next.push(s.slice(from));
      });
      words = next;
    }
    return words;
  }

  private word(word: string, out: number[]): void {
    const { vocab, ignoreMerges } = this.spec;
    if (ignoreMerges) {
      const whole = vocab.get(word);
      if (whole !== undefined) { out.push(whole); return; }
    }
    let ids = this.cache.get(word);
    if (!ids) {
      ids = this.mergeWord(word);
      if (word.length < CACHED_WORD_LENGTH) {
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(word, ids);
      }
    }
    for (const id of ids) out.push(id);
  }

  /** models/bpe `merge_word`: characters (or their byte tokens, or unk) merged by rank. */
  private mergeWord(word: string): number[] {
    const { vocab, byteFallback, unkToken, fuseUnk } = this.spec;
    const symbols: string[] = [];
    let unkPending = false;
    for (const ch of word) {
      if (vocab.has(ch)) {
        if (unkPending) { symbols.push(unkToken!); unkPending = false; }
        symbols.push(ch);
        continue;
      }
      if (byteFallback) {
        const bytes = Array.from(utf8Encode(ch), byteToken);
        // a pending unk is not flushed here: it lands after these byte tokens, as in `tokenizers`
        if (bytes.every((b) => vocab.has(b))) { symbols.push(...bytes); continue; }
      }
      if (unkToken === null) continue;
      if (!vocab.has(unkToken)) {
        throw new UserError("bad_file", `${this.spec.where}: ${JSON.stringify(ch)} needs the unknown token ${JSON.stringify(unkToken)}, which is not in the vocabulary`);
      }
      if (unkPending && !fuseUnk) symbols.push(unkToken);
      unkPending = true;
    }
    if (unkPending) symbols.push(unkToken!);
    const ranks = this.ranks;
    const merged = bpeMergeSymbols(symbols, (l, r) => ranks.get(l)?.get(r));
    return merged.map((s) => vocab.get(s)!);
  }
}

/** The byte token of one byte: "<0xAB>" (upper-case hex). */
export function byteToken(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;
}

function decodeStep(step: HfDecoderStep, tokens: string[]): string[] {
  switch (step.type) {
    case "replace": return tokens.map((t) => t.replaceAll(step.pattern, step.content));
    case "fuse": return [tokens.join("")];
    case "strip": return tokens.map((t) => stripChars(t, step.content, step.start, step.stop));
    case "byteFallback": return byteFallback(tokens);
    case "metaspace":
      // the first token loses every replacement character unless nothing was prepended (scheme "never")
      return tokens.map((t, i) => (i === 0 && step.prependScheme !== "never" ? t.replaceAll(step.replacement, "") : t.replaceAll(step.replacement, " ")));
  }
}

/** Up to `start` leading and `stop` trailing `content` characters removed. */
function stripChars(token: string, content: string, start: number, stop: number): string {
  const chars = Array.from(token);
  let from = 0;
  while (from < start && from < chars.length && chars[from] === content) from++;
  let to = chars.length;
  while (chars.length - to < stop && to > from && chars[to - 1] === content) to--;
  return chars.slice(from, to).join("");
}

const FATAL = new TextDecoder("utf-8", { fatal: true });

/** Runs of `<0xXX>` tokens become their UTF-8 text; a run that is not valid UTF-8 becomes one U+FFFD per byte. */
function byteFallback(tokens: readonly string[]): string[] {
  const out: string[] = [];
  let run: number[] = [];
  const flush = () => {
    if (run.length === 0) return;
    try {
      out.push(FATAL.decode(Uint8Array.from(run)));
    } catch {
      for (let i = 0; i < run.length; i++) out.push("\ufffd");
    }
    run = [];
  };
  for (const t of tokens) {
    const b = t.length === 6 && t.startsWith("<0x") && t.endsWith(">") && /^[0-9A-Fa-f]{2}$/.test(t.slice(3, 5)) ? parseInt(t.slice(3, 5), 16) : -1;
    if (b >= 0) { run.push(b); continue; }
    flush();
    out.push(t);
  }
  flush();
  return out;
}

/** transformers' `clean_up_tokenization`: no space before . ? ! , and before common English contractions. */
export function cleanUpTokenization(text: string): string {
  return text.replaceAll(" .", ".").replaceAll(" ?", "?").replaceAll(" !", "!").replaceAll(" ,", ",")
    .replaceAll(" ' ", "'").replaceAll(" n't", "n't").replaceAll(" 'm", "'m").replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve").replaceAll(" 're", "'re");
}
