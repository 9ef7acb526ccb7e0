/** Fixed train / validation / test splits by seed ranges, and the sample records eval uses. */
import { clipQuestions, generateClip, type Clip } from "./clip.js";
import { Rng } from "./prng.js";
import { askQuestions, type QA } from "./questions.js";
import { generateScene, type Scene, type SceneOptions } from "./scene.js";

export type Split = "train" | "validation" | "test";

/** Seed ranges: sample i of a split uses seed SPLIT_BASE[split] + i (train has 10 million seeds). */
export const SPLIT_BASE: Record<Split, number> = { train: 0, validation: 10_000_000, test: 20_000_000 };
export const SPLIT_SIZE = 10_000_000;
const CLIP_OFFSET = 5_000_000;

export interface ImageSample {
  id: string;
  split: Split;
  index: number;
  seed: number;
  scene: Scene;
  qa: QA[];
}

export interface ClipSample {
  id: string;
  split: Split;
  index: number;
  seed: number;
  clip: Clip;
  qa: QA[];
}

export function sampleSeed(split: Split, index: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= CLIP_OFFSET) throw new RangeError(`sample index out of range: ${index}`);
  return SPLIT_BASE[split] + index;
}

export interface SampleOptions extends SceneOptions {
  /** Question rounds per scene (default 1; more for training). */
  questionRounds?: number;
}

/** Sample `index` of `split`: a scene and its questions, a pure function of (split, index). */
export function generateSample(split: Split, index: number, opts: SampleOptions = {}): ImageSample {
  const seed = sampleSeed(split, index);
  const rng = new Rng(seed);
  const scene = generateScene(rng, opts);
  const qa = askQuestions(rng, scene, opts.questionRounds ?? 1);
  return { id: `${split}-${String(index).padStart(6, "0")}`, split, index, seed, scene, qa };
}

/** The first `count` samples of a split (start offset optional). */
export function generateSplit(split: Split, count: number, start = 0, opts: SampleOptions = {}): ImageSample[] {
  return Array.from({ length: count }, (_, i) => generateSample(split, start + i, opts));
}

/** Clip `index` of `split` (seeds disjoint from the image samples). */
export function generateClipSample(split: Split, index: number, frames = 6): ClipSample {
  const seed = sampleSeed(split, index) + CLIP_OFFSET;
  const rng = new Rng(seed);
  const clip = generateClip(rng, frames);
  return { id: `${split}-clip-${String(index).padStart(6, "0")}`, split, index, seed, clip, qa: clipQuestions(rng, clip) };
}

export function generateClipSplit(split: Split, count: number, start = 0, frames = 6): ClipSample[] {
  return Array.from({ length: count }, (_, i) => generateClipSample(split, start + i, frames));
}
