/** What the streaming detokenizer needs: token bytes. */
export interface PieceSource {
  tokenToPiece(id: number, special?: boolean): Uint8Array;
}

/**
 * Turns generated token ids into text one id at a time, emitting only complete UTF-8 characters: a
 * character whose bytes are spread over several tokens (emoji, CJK under byte-level BPE) comes out whole
 * with the token that completes it. Pieces are concatenated as llama.cpp's streaming front ends do
 * (token_to_piece per token, without llama_detokenize's space clean-up).
 */
export class StreamingDetokenizer {
  private readonly decoder = new TextDecoder("utf-8");

  /** `special`: render control tokens as their text (default false: they produce nothing). */
  constructor(private readonly tokenizer: PieceSource, private readonly special = false) {}

  /** The text completed by this token ("" while a character is still incomplete). */
  push(id: number): string {
    return this.decoder.decode(this.tokenizer.tokenToPiece(id, this.special), { stream: true });
  }

  /** Ends the stream: bytes of an unfinished character come out as U+FFFD. */
  flush(): string {
    return this.decoder.decode();
  }
}
