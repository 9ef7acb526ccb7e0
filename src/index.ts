/**
 * pocketvlm — the browser-safe core. Node conveniences (files, image decoding, model opening) are in
 * `pocketvlm/node`.
 */
export { UserError, isUserError, type UserErrorCode } from "./errors.js";
export { bytesSource, blobSource, type ByteSource } from "./io/byte-source.js";

// formats
export { readGGUF, GGUFMetadata } from "./formats/gguf/reader.js";
export { writeGGUF } from "./formats/gguf/writer.js";
export { GGMLType, ggmlTypeName } from "./formats/gguf/ggml-types.js";
export { dequantize } from "./formats/gguf/dequantize.js";
export { Tokenizer, StreamingDetokenizer } from "./formats/tokenizer/index.js";
export { renderChatTemplate, chatTemplateOf } from "./formats/chat-template/index.js";

// compute
export type { Backend, WeightMatrix, AttentionArgs } from "./compute/backend.js";
export { JsBackend } from "./compute/js/js-backend.js";

// models
export { modelSourceFromGGUF, type ModelSource } from "./models/model-source.js";
export { loadLanguageModel } from "./models/llm/load.js";
export type { LanguageModel, LlmConfig, KvCache, ForwardInput, ForwardOptions } from "./models/llm/language-model.js";
export type { ForwardHooks, LayerState, RowEdit } from "./models/llm/hooks.js";
export { loadMmproj, loadVisionModel, type VisionModel, type VisionConfig } from "./models/vision/index.js";

// multimodal
export { MiniCPMV, VlmSession, frameFusionReport, type ChatOptions, type ImageOptions, type FrameFusionReport } from "./multimodal/vlm.js";
export type { ChatMessage, ContentPart, ImageResolver, VideoPart } from "./multimodal/messages.js";
export { planVideoFrames, type VideoPlan, type VideoPlanOptions } from "./multimodal/video/plan-frames.js";
export { FrameFusion, pruningRatio, type FrameFusionOptions } from "./multimodal/video/framefusion.js";
export { groundByAttention, groundingQuestion, type GroundOptions, type GroundResult } from "./grounding/ground.js";
export { groundingJson, toThousandths, pointTo1000, boxTo1000, type GroundingJson } from "./grounding/report.js";
export { attentionMap, mapRegions, bestRegion, type TagMap, type TagOptions } from "./grounding/tag-map.js";
export { preprocessImage, type PreprocessPolicy } from "./multimodal/image/preprocess.js";
export type { RgbImage } from "./multimodal/image/rgb-image.js";

// runtime
export { generate, generateAll, type GenerateOptions, type GenerationResult, type GenerationStep } from "./runtime/generation.js";
export { Sampler, type SamplingOptions } from "./runtime/sampling.js";
export { ChatSession } from "./runtime/session.js";

// authors' Hugging Face checkpoints (any FolderReader: memory, Blob files, Node folders)
export { loadHfVision, loadHfLanguageModel, loadHfTokenizer, openHfVlmFolder, memoryFolder, blobFolder, type FolderReader } from "./formats/hf/index.js";
export { createJsonConstraint, schemaOfResponseFormat } from "./runtime/constraints/index.js";
export { parseHubModelRef, isHubModelRef, formatHubModelRef, type HubModelRef } from "./hub/model-ref.js";
export { fetchRepoInfo, type HubFile, type HubRepoInfo } from "./hub/repo-info.js";
export { pickModelFiles, type ModelFiles } from "./hub/pick-files.js";
export { resolveUrl, type HubEndpoint } from "./hub/hub-endpoint.js";
export { hubGgufUrls } from "./hub/hub-urls.js";
