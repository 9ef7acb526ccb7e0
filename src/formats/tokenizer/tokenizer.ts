import { UserError } from "../../errors.js";
import type { GGUFMetadata } from "../gguf/reader.js";
import { cleanSpaces } from "./clean-spaces.js";
import { BpeEncoder } from "./encode.js";
import { HfBpe, type HfBpeSpec } from "./hf-bpe.js";
import { pieceBytes } from "./piece.js";
import { partitionSpecial } from "./special-split.js";
import type { SpecialIds } from "./special-ids.js";
import { SpmEncoder, spmPieceBytes } from "./spm.js";
import { ATTR_CONTROL, ATTR_UNKNOWN } from "./token-attrs.js";
import { utf8DecodeLossy, utf8Encode, wellFormed } from "./unicode.js";
import { loadVocab, type Vocab } from "./vocab.js";

export interface EncodeOptions {
  /** Add BOS/EOS as the vocabulary asks (add_bos_token / add_eos_token). Default true. */
  readonly addSpecial?: boolean;
  /** Match control tokens written in the text (e.g. "<|im_start|>"). Default false: user text stays text. */
  readonly parseSpecial?: boolean;
}

export interface DecodeOptions {
  /** Drop a leading BOS / trailing EOS that the vocabulary would have added. Default false. */
  readonly removeSpecial?: boolean;
  /** Render control tokens as their text. Default false: they produce nothing. */
  readonly unparseSpecial?: boolean;
}

const EMPTY = new Uint8Array(0);

/**
 * A byte-level BPE (`gpt2`) or SentencePiece (`llama`) tokenizer built from GGUF `tokenizer.ggml.*` metadata that
 * reproduces llama.cpp: `encode` = llama_tokenize, `decode` = llama_detokenize, `tokenToPiece` = llama_token_to_piece.
 *
 * Built with a Hugging Face pipeline (`HfBpeSpec`, from a SentencePiece-style tokenizer.json), the vocabulary and
 * special ids still come from the metadata, but text is encoded and decoded as the `tokenizers` library does it
 * (`encode(text, { parseSpecial })` = `encode(text, add_special_tokens)` with `encode_special_tokens = !parseSpecial`,
 * `decode(ids, { unparseSpecial })` = `decode(ids, skip_special_tokens = !unparseSpecial)`); `tokenToPiece` stays
 * per token (SentencePiece pieces: "▁" as a space, byte tokens as their byte).
 */
export class Tokenizer {
  /** Special token ids; `nl` is the newline token (llama_vocab_nl: the first token of "\n", for SentencePiece its byte token). */
  readonly special: Readonly<SpecialIds & { nl: number | null }>;
  private readonly bpe: BpeEncoder;
  /** Set for SentencePiece vocabularies. */
  private readonly spm: SpmEncoder | null;
  /** Set when built from a Hugging Face SentencePiece-style tokenizer.json. */
  private readonly hf: HfBpe | null;
  private readonly pieces: (Uint8Array | undefined)[];

  private constructor(private readonly vocab: Vocab, hf?: HfBpeSpec) {
    if (hf && vocab.model !== "llama") throw new Error(`${vocab.file}: a Hugging Face SentencePiece-style pipeline needs a "llama" vocabulary, not "${vocab.model}"`);
    this.hf = hf ? new HfBpe(hf) : null;
    this.bpe = new BpeEncoder(vocab);
    this.spm = vocab.model === "llama" ? new SpmEncoder(vocab) : null;
    this.pieces = new Array(vocab.tokens.length);
    if (this.spm) {
      this.special = { ...vocab.special, nl: this.spm.newline() };
    } else {
      const nl: number[] = [];
      this.bpe.encode("\n", nl);
      this.special = { ...vocab.special, nl: nl.length > 0 ? nl[0] : vocab.special.pad };
    }
  }

  /** `hf`: encode and decode as this Hugging Face pipeline does (see the class comment). */
  static fromMetadata(meta: GGUFMetadata, hf?: HfBpeSpec): Tokenizer {
    return new Tokenizer(loadVocab(meta), hf);
  }

  get nTokens(): number { return this.vocab.tokens.length; }
  /** `tokenizer.ggml.model`: "gpt2" (byte-level BPE) or "llama" (SentencePiece). */
  get model(): "gpt2" | "llama" { return this.vocab.model; }
  get addBos(): boolean { return this.vocab.addBos; }
  get addEos(): boolean { return this.vocab.addEos; }
  /** The `tokenizer.ggml.pre` name in effect. */
  get preTokenizer(): string { return this.vocab.pre.name; }
  /** Ids that end generation (eos, eot, <|im_end|>, ...), ascending. */
  get eogIds(): number[] { return [...this.vocab.eog].sort((a, b) => a - b); }

  isEog(id: number): boolean { return this.vocab.eog.has(id); }

  /** A control (or unknown) token: hidden by `tokenToPiece(id, false)`. */
  isControl(id: number): boolean { return (this.vocab.attrs[this.checkId(id)] & (ATTR_CONTROL | ATTR_UNKNOWN)) !== 0; }

  /** The vocabulary's own spelling of a token (byte-level alphabet for normal tokens). */
  tokenText(id: number): string { return this.vocab.tokens[this.checkId(id)]; }

  /** The id of a token by its vocabulary text (e.g. "<image>"), or undefined. */
  tokenId(text: string): number | undefined { return this.vocab.ids.get(text); }

  /** Text to token ids, as llama_tokenize(vocab, text, addSpecial, parseSpecial). */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    const addSpecial = opts.addSpecial ?? true;
    const v = this.vocab;
    const out: number[] = [];
    if (addSpecial && v.addBos) out.push(v.special.bos!);
    if (this.hf) {
      for (const id of this.hf.encode(wellFormed(text), opts.parseSpecial ?? false)) out.push(id);
      if (addSpecial && v.addEos) out.push(v.special.eos!);
      return out;
    }
    const fragments = partitionSpecial(wellFormed(text), v.specialTokens, v.tokens, v.attrs, opts.parseSpecial ?? false);
    if (this.spm) this.spm.encode(fragments, out);
    else {
      for (const f of fragments) {
        if (typeof f === "number") out.push(f);
        else this.bpe.encode(f, out);
      }
    }
    if (addSpecial && v.addEos) out.push(v.special.eos!);
    return out;
  }

  /** The bytes of one token, as llama_token_to_piece(vocab, id, lstrip = 0, special). */
  tokenToPiece(id: number, special = true): Uint8Array {
    const attr = this.vocab.attrs[this.checkId(id)];
    if (!special && attr & (ATTR_CONTROL | ATTR_UNKNOWN)) return EMPTY;
    return (this.pieces[id] ??= (this.spm ? spmPieceBytes : pieceBytes)(this.vocab.tokens[id], attr));
  }

  /** Token ids to bytes, as llama_detokenize(vocab, ids, removeSpecial, unparseSpecial). */
  decodeBytes(ids: readonly number[], opts: DecodeOptions = {}): Uint8Array {
    if (this.hf) return utf8Encode(this.decodeHf(ids, opts));
    const v = this.vocab;
    let from = 0, to = ids.length;
    let stripSpace = v.addSpacePrefix;
    if (opts.removeSpecial && v.addBos && to > 0 && ids[0] === v.special.bos) { from = 1; stripSpace = false; }
    if (opts.removeSpecial && v.addEos && to > from && ids[to - 1] === v.special.eos) to--;
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let i = from; i < to; i++) {
      let p = this.tokenToPiece(ids[i], opts.unparseSpecial ?? false);
      if (stripSpace && p.length > 0 && p[0] === 0x20) p = p.subarray(1);
      stripSpace = false;
      parts.push(p);
      total += p.length;
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return v.pre.cleanSpaces ? out.subarray(0, cleanSpaces(out, total)) : out;
  }

  /** Token ids to text (invalid UTF-8 becomes U+FFFD); see `decodeBytes`. */
  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    if (this.hf) return this.decodeHf(ids, opts);
    return utf8DecodeLossy(this.decodeBytes(ids, opts));
  }

  /** The Hugging Face decode: special tokens skipped unless `unparseSpecial`, then the decoder chain. */
  private decodeHf(ids: readonly number[], opts: DecodeOptions): string {
    const v = this.vocab;
    let from = 0, to = ids.length;
    for (const id of ids) this.checkId(id);
    if (opts.removeSpecial && v.addBos && to > 0 && ids[0] === v.special.bos) from = 1;
    if (opts.removeSpecial && v.addEos && to > from && ids[to - 1] === v.special.eos) to--;
    return this.hf!.decode(ids.slice(from, to), !(opts.unparseSpecial ?? false));
  }

  private checkId(id: number): number {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocab.tokens.length) {
      throw new UserError("bad_argument", `token id ${id} is out of range (vocabulary of ${this.vocab.tokens.length})`);
    }
    return id;
  }
}
