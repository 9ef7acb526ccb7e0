/** ShapesWorld: a seeded synthetic visual world (scenes, clips, questions) — browser-safe. */
export { Rng, hashSeed } from "./prng.js";
export * from "./vocab.js";
export type { RgbImage, RGB } from "./raster.js";
export type { Box, Point } from "./geometry.js";
export { iou, normBox, normCoord } from "./geometry.js";
export { generateScene, type Scene, type SceneOptions, type ShapeObject, type TextObject } from "./scene.js";
export { renderScene } from "./render.js";
export { askQuestions, nameable, QUESTION_TYPES, type QA, type QuestionType } from "./questions.js";
export { generateClip, renderClipFrame, clipQuestions, type Clip, type ClipShape } from "./clip.js";
export { isCorrect, normalizeAnswer } from "./score.js";
export {
  generateSample, generateSplit, generateClipSample, generateClipSplit, sampleSeed, SPLIT_BASE,
  type Split, type ImageSample, type ClipSample, type SampleOptions,
} from "./splits.js";
