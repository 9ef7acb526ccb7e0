/** Node-side ShapesWorld export: PNG files (via sharp) plus a JSONL of {image, question, answer, type}. */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import type { RgbImage } from "../datasets/shapesworld/raster.js";
import { renderClipFrame } from "../datasets/shapesworld/clip.js";
import { renderScene } from "../datasets/shapesworld/render.js";
import { generateClipSample, generateSample, type Split } from "../datasets/shapesworld/splits.js";

export async function writePng(path: string, img: RgbImage): Promise<void> {
  await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
    raw: { width: img.width, height: img.height, channels: 3 },
  }).png({ compressionLevel: 6 }).toFile(path);
}

export interface ExportOptions {
  split: Split;
  count: number;
  start?: number;
  clips?: number;
  clipFrames?: number;
  outDir: string;
  largeFraction?: number;
  /** Question rounds per scene (training data). */
  questionRounds?: number;
  /** Skip writing PNGs (e.g. to add the scenes file to an existing export). */
  skipImages?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface JsonlRecord {
  id: string;
  image: string | string[];
  question: string;
  answer: string;
  type: string;
  width: number;
  height: number;
  target?: number[];
}

/** Writes `<outDir>/images/*.png`, `<outDir>/<split>.jsonl` and `<split>.scenes.jsonl`; returns the question-row count. */
export async function exportSplit(o: ExportOptions): Promise<number> {
  const imgDir = join(o.outDir, "images");
  await mkdir(imgDir, { recursive: true });
  const lines: string[] = [];
  const scenes: string[] = [];
  const start = o.start ?? 0;
  const total = o.count + (o.clips ?? 0);
  let done = 0;
  const batch: Promise<void>[] = [];
  const flush = async () => { await Promise.all(batch.splice(0)); };
  for (let i = 0; i < o.count; i++) {
    const s = generateSample(o.split, start + i, {
      ...(o.largeFraction === undefined ? {} : { largeFraction: o.largeFraction }),
      ...(o.questionRounds === undefined ? {} : { questionRounds: o.questionRounds }),
    });
    const file = `images/${s.id}.png`;
    if (!o.skipImages) batch.push(writePng(join(o.outDir, file), renderScene(s.scene)));
    scenes.push(JSON.stringify({ id: s.id, image: file, ...s.scene }));
    for (const qa of s.qa) {
      const rec: JsonlRecord = { id: s.id, image: file, question: qa.question, answer: qa.answer, type: qa.type, width: s.scene.width, height: s.scene.height };
      if (qa.target) rec.target = qa.target;
      lines.push(JSON.stringify(rec));
    }
    if (batch.length >= 16) await flush();
    o.onProgress?.(++done, total);
  }
  for (let i = 0; i < (o.clips ?? 0); i++) {
    const c = generateClipSample(o.split, start + i, o.clipFrames ?? 6);
    const files: string[] = [];
    for (let f = 0; f < c.clip.frames; f++) {
      const file = `images/${c.id}-f${f}.png`;
      files.push(file);
      if (!o.skipImages) batch.push(writePng(join(o.outDir, file), renderClipFrame(c.clip, f)));
    }
    for (const qa of c.qa) {
      lines.push(JSON.stringify({ id: c.id, image: files, question: qa.question, answer: qa.answer, type: qa.type, width: c.clip.width, height: c.clip.height }));
    }
    if (batch.length >= 16) await flush();
    o.onProgress?.(++done, total);
  }
  await flush();
  await writeFile(join(o.outDir, `${o.split}.jsonl`), lines.join("\n") + "\n");
  // The scenes themselves (object kinds, colours, boxes), e.g. for dense auxiliary supervision.
  await writeFile(join(o.outDir, `${o.split}.scenes.jsonl`), scenes.join("\n") + "\n");
  return lines.length;
}
