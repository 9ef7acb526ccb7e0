/** Short clips of moving shapes, with questions about the direction of motion (for video work). */
import { boxesOverlap, shapeBox, type Box } from "./geometry.js";
import type { Rng } from "./prng.js";
import { createImage, type RgbImage } from "./raster.js";
import { drawShape } from "./render.js";
import type { QA } from "./questions.js";
import { BACKGROUNDS, COLOR_NAMES, DIRECTIONS, SHAPE_KINDS, type ColorName, type Direction, type ShapeKind } from "./vocab.js";

export interface ClipShape {
  kind: ShapeKind;
  color: ColorName;
  r: number;
  /** Centre per frame. */
  path: [number, number][];
}

export interface Clip {
  width: number;
  height: number;
  frames: number;
  background: readonly [number, number, number];
  mover: ClipShape;
  direction: Direction;
  still: ClipShape[];
}

const STEP: Record<Direction, [number, number]> = { left: [-1, 0], right: [1, 0], up: [0, -1], down: [0, 1] };

export function generateClip(rng: Rng, frames = 6): Clip {
  const width = rng.pick([336, 392, 448]);
  const height = rng.pick([336, 392, 448]);
  const unit = Math.sqrt(width * height);
  const background = rng.pick(BACKGROUNDS);
  const direction = rng.pick(DIRECTIONS);
  const [dx, dy] = STEP[direction];
  const r = unit * rng.range(0.05, 0.08);
  const travel = unit * rng.range(0.3, 0.5);
  const span = (size: number, d: number): [number, number] =>
    d > 0 ? [r * 1.3, size - r * 1.3 - travel] : d < 0 ? [r * 1.3 + travel, size - r * 1.3] : [r * 1.3, size - r * 1.3];
  const [x0a, x0b] = span(width, dx);
  const [y0a, y0b] = span(height, dy);
  const sx = rng.range(x0a, x0b);
  const sy = rng.range(y0a, y0b);
  const path: [number, number][] = [];
  for (let f = 0; f < frames; f++) {
    const t = frames === 1 ? 0 : f / (frames - 1);
    path.push([sx + dx * travel * t, sy + dy * travel * t]);
  }
  const mover: ClipShape = { kind: rng.pick(SHAPE_KINDS), color: rng.pick(COLOR_NAMES), r, path };
  // The swept area of the mover, which static shapes must avoid.
  const swept: Box = [Math.min(sx, path[frames - 1][0]) - r, Math.min(sy, path[frames - 1][1]) - r,
    Math.max(sx, path[frames - 1][0]) + r, Math.max(sy, path[frames - 1][1]) + r];
  const taken: Box[] = [swept];
  const still: ClipShape[] = [];
  const nStill = rng.int(0, 3);
  for (let i = 0; i < nStill; i++) {
    const kind = rng.pick(SHAPE_KINDS);
    const color = rng.pick(COLOR_NAMES.filter((c) => c !== mover.color));
    const rs = unit * rng.range(0.04, 0.07);
    for (let attempt = 0; attempt < 100; attempt++) {
      const cx = rng.range(rs, width - rs);
      const cy = rng.range(rs, height - rs);
      const b = shapeBox(kind, cx, cy, rs);
      if (taken.some((t) => boxesOverlap(t, b, unit * 0.02))) continue;
      taken.push(b);
      still.push({ kind, color, r: rs, path: Array.from({ length: frames }, () => [cx, cy] as [number, number]) });
      break;
    }
  }
  return { width, height, frames, background, mover, direction, still };
}

export function renderClipFrame(clip: Clip, frame: number): RgbImage {
  const img = createImage(clip.width, clip.height, clip.background);
  for (const s of [...clip.still, clip.mover]) {
    const [cx, cy] = s.path[frame];
    drawShape(img, { kind: s.kind, color: s.color, cx, cy, r: s.r });
  }
  return img;
}

export function clipQuestions(rng: Rng, clip: Clip): QA[] {
  const name = `${clip.mover.color} ${clip.mover.kind}`;
  const q = rng.pick([`Which direction is the ${name} moving?`, `In which direction does the ${name} move?`]);
  const other = rng.pick(DIRECTIONS);
  return [
    { type: "motion", question: q, answer: clip.direction },
    { type: "motion", question: `Is the ${name} moving ${other}?`, answer: other === clip.direction ? "yes" : "no" },
  ];
}
