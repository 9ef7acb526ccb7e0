/** pocketvlm: the library API. */
export { UserError, isUserError } from "./errors.js";
export type { ByteSource } from "./io/byte-source.js";
export { bytesSource, blobSource } from "./io/byte-source.js";
export { readGGUF, GGUFMetadata } from "./formats/gguf/reader.js";
export { GGMLType } from "./formats/gguf/ggml-types.js";
export type { Backend, WeightMatrix, AttentionArgs } from "./compute/backend.js";
export { JsBackend } from "./compute/js/js-backend.js";
