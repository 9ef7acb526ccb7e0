export { Tokenizer, type EncodeOptions, type DecodeOptions } from "./tokenizer.js";
export { StreamingDetokenizer, type PieceSource } from "./streaming.js";
export type { SpecialIds } from "./special-ids.js";
