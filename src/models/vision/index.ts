export type { VisionConfig } from "./config.js";
export { visionConfigFromSource, defaultQueryNum, RESAMPLER_HEAD_DIM } from "./config.js";
export { loadMmproj, type Mmproj } from "./mmproj.js";
export { loadVisionModel, type VisionModel, type EncodeOptions, type VisionEncoding } from "./vision-model.js";
export type { VisionCrop, VisionNumerics, TowerOptions } from "./siglip.js";
export type { CropFeatures, ResamplerOutput } from "./resampler.js";
export { positionIds, authorsBuckets, llamacppBuckets } from "./position-ids.js";
export { SinCos2d, SinCosTemporal } from "./sincos.js";
