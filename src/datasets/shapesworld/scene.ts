/** Scene sampling: canvas size, shapes and rendered words / numbers, placed without overlap. */
import { textHeight, textWidth } from "./font.js";
import { boxesOverlap, shapeBox, type Box } from "./geometry.js";
import type { Rng } from "./prng.js";
import type { RGB } from "./raster.js";
import { BACKGROUNDS, COLOR_NAMES, SHAPE_KINDS, WORDS, type ColorName, type ShapeKind } from "./vocab.js";

export interface ShapeObject {
  kind: ShapeKind;
  color: ColorName;
  size: "small" | "large";
  cx: number;
  cy: number;
  r: number;
  box: Box;
}

export interface TextObject {
  kind: "word" | "number";
  text: string;
  x: number;
  y: number;
  scale: number;
  box: Box;
}

export interface Scene {
  width: number;
  height: number;
  background: RGB;
  shapes: ShapeObject[];
  texts: TextObject[];
}

export interface SceneOptions {
  /** Probability of a large canvas (area above 448², so the authors' slicing kicks in). Default 0.15. */
  largeFraction?: number;
  /** Fixed canvas size (overrides the sampled one). */
  size?: [number, number];
  /** Number of shapes (overrides the sampled one). */
  shapeCount?: number;
}

const LARGE_SIZES: readonly [number, number][] = [
  [672, 448], [448, 672], [896, 448], [448, 896], [672, 672], [896, 672],
  [672, 896], [896, 896], [1120, 672], [1344, 672], [1344, 896], [896, 1344],
];

export function sampleCanvas(rng: Rng, largeFraction: number): [number, number] {
  if (rng.chance(largeFraction)) return rng.pick(LARGE_SIZES);
  for (;;) {
    const w = rng.int(224, 448);
    const h = rng.int(224, 448);
    if (Math.max(w, h) / Math.min(w, h) <= 1.8) return [w, h];
  }
}

function place(rng: Rng, w: number, h: number, taken: Box[], make: (x: number, y: number) => Box, margin: number): Box | null {
  for (let attempt = 0; attempt < 200; attempt++) {
    const b = make(rng.next() * w, rng.next() * h);
    if (b[0] < margin || b[1] < margin || b[2] > w - margin || b[3] > h - margin) continue;
    if (taken.some((t) => boxesOverlap(t, b, margin))) continue;
    return b;
  }
  return null;
}

export function generateScene(rng: Rng, opts: SceneOptions = {}): Scene {
  const [width, height] = opts.size ?? sampleCanvas(rng, opts.largeFraction ?? 0.15);
  const unit = Math.sqrt(width * height);
  const margin = unit * 0.02;
  const background = rng.pick(BACKGROUNDS);
  const taken: Box[] = [];
  const texts: TextObject[] = [];

  // Words / numbers first (they are wide and hard to place late).
  const textKinds: ("word" | "number")[] = [];
  if (rng.chance(0.5)) textKinds.push("word");
  if (rng.chance(0.35)) textKinds.push("number");
  for (const kind of textKinds) {
    // Numbers are single digits: a tiny tower reads a digit, not 100 two-digit classes.
    const text = kind === "word" ? rng.pick(WORDS) : String(rng.int(0, 9));
    // Glyphs 4-5 ViT patches tall once the canvas is resized to ~448² (3-patch glyphs were read 69% / 4%).
    const scale = Math.max(2, Math.round((unit * rng.range(0.12, 0.15)) / 7));
    const tw = textWidth(text, scale);
    const th = textHeight(scale);
    const b = place(rng, width, height, taken, (x, y) => [x, y, x + tw, y + th], margin * 2);
    if (b === null) continue;
    const x = Math.round(b[0]);
    const y = Math.round(b[1]);
    const box: Box = [x, y, x + tw, y + th];
    taken.push(box);
    texts.push({ kind, text, x, y, scale, box });
  }

  const n = opts.shapeCount ?? rng.pick([1, 2, 2, 3, 3, 3, 4, 4, 5]);
  const shapes: ShapeObject[] = [];
  for (let i = 0; i < n; i++) {
    let kind: ShapeKind = rng.pick(SHAPE_KINDS);
    let color: ColorName = rng.pick(COLOR_NAMES);
    if (shapes.length > 0 && rng.chance(0.3)) {
      // Repeat an attribute (or both) of an earlier shape, so counts above one happen.
      const prev = rng.pick(shapes);
      const mode = rng.int(0, 2);
      if (mode !== 1) kind = prev.kind;
      if (mode !== 0) color = prev.color;
    }
    const size = rng.chance(0.5) ? "small" : "large";
    // Radii 2-3.5 patches at ~448² (was 1.4-3.2): a shape covers more patches and its box tolerates a larger error.
    const r = unit * (size === "small" ? rng.range(0.065, 0.08) : rng.range(0.09, 0.11));
    const b = place(rng, width, height, taken, (x, y) => shapeBox(kind, x, y, r), margin);
    if (b === null) continue;
    const cx = (b[0] + b[2]) / 2;
    // Recover the centre from the box (triangles' boxes are not centred on the centre).
    const probe = shapeBox(kind, 0, 0, r);
    const cy = b[1] - probe[1];
    const shape: ShapeObject = { kind, color, size, cx, cy, r, box: b };
    taken.push(b);
    shapes.push(shape);
  }
  return { width, height, background, shapes, texts };
}
