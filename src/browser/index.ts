/**
 * pocketvlm for the browser (bundled to dist/web/pocketvlm.js): the same core as Node, plus the
 * browser platform — Web Worker kernels, model files from URLs (cached in the origin's storage) or
 * picked Files, canvas image decoding — and `PocketVlm`, the page's client of the engine worker.
 */
export * from "../index.js";
export { createWasmBackend, WasmBackend, type WasmBackendOptions } from "../compute/wasm/index.js";
export { PocketVlm, type ChatRun, type CropImages, type EngineOptions, type LoadOptions } from "./client.js";
export type * from "./protocol.js";
export { createBrowserBackend, type BrowserBackendOptions } from "./backend.js";
export { browserWasmPlatform, threadsAvailable } from "./wasm-platform.js";
export { openBrowserVlm, type BrowserVlm, type BrowserVlmOptions } from "./open-vlm.js";
export { decodeImageBlob, browserImageResolver } from "./image-decode.js";
export { openModelRef } from "./model-ref.js";
export { openCachedUrl, clearModelCache } from "./model-cache.js";
export { httpRangeSource } from "./http-range-source.js";
