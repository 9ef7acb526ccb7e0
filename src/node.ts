/** pocketvlm/node — Node.js conveniences on top of the core: files, image decoding, opening models. */
export * from "./index.js";
export { fileSource } from "./node/file-source.js";
export { fileSink } from "./node/file-sink.js";
export { decodeImage, decodeImageFile } from "./node/image-decode.js";
export { openVideo, videoPartOf, videoPlanOf, type VideoSource, type OpenVideoOptions, type VideoPartOptions } from "./node/video-decode.js";
export { nodeImageResolver } from "./node/image-resolver.js";
export { openLanguageModel, createBackend } from "./node/load-llm.js";
export { openVlm, type OpenVlmOptions } from "./node/open-vlm.js";
export { defaultModelPaths } from "./node/default-model.js";
export { resolveHubModel, localModelPaths, type HubOptions, type HubModelPaths } from "./node/hub-model.js";
export { hubCacheDir } from "./node/hub-cache.js";
