export { createJsonConstraint, JsonConstraint } from "./json-constraint.js";
export { JsonRecognizer, State, type RecognizerOptions } from "./recognizer.js";
export { compileSchema } from "./schema-compile.js";
export { TokenTrie, type ConstraintVocab } from "./token-trie.js";
export { schemaOfResponseFormat } from "./response-format.js";
export { constraintVocabOf, type TokenizerLike } from "./tokenizer-vocab.js";
