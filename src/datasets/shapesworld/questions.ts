/** Question / answer pairs about a scene; every answer is computed from the scene itself. */
import { boxCenter, normBox, normCoord, type Box } from "./geometry.js";
import type { Rng } from "./prng.js";
import type { Scene, ShapeObject } from "./scene.js";
import { COLOR_NAMES, PLURAL, REGIONS, SHAPE_KINDS, WORDS } from "./vocab.js";

export const QUESTION_TYPES = [
  "color", "shape", "count", "position", "relation", "reading", "yesno", "point", "box",
] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number] | "motion";

export interface QA {
  type: QuestionType;
  question: string;
  answer: string;
  /** Grounding target in 0..1000 coordinates (point / box questions): the object's box. */
  target?: Box;
}

const desc = (s: ShapeObject): string => `${s.color} ${s.kind}`;
const article = (word: string): string => (/^[aeiou]/.test(word) ? "an" : "a");

function unique<T>(items: T[], key: (t: T) => string): T[] {
  const counts = new Map<string, number>();
  for (const t of items) counts.set(key(t), (counts.get(key(t)) ?? 0) + 1);
  return items.filter((t) => counts.get(key(t)) === 1);
}

/** Shapes that "the <colour> <kind>" names unambiguously. */
export function nameable(scene: Scene): ShapeObject[] {
  return unique(scene.shapes, desc);
}

function regionOf(scene: Scene, s: ShapeObject): string | null {
  const fx = s.cx / scene.width;
  const fy = s.cy / scene.height;
  const clear = (f: number) => Math.abs(f - 1 / 3) > 0.05 && Math.abs(f - 2 / 3) > 0.05;
  if (!clear(fx) || !clear(fy)) return null;
  return REGIONS[Math.min(2, Math.floor(fy * 3))][Math.min(2, Math.floor(fx * 3))];
}

function colorQ(rng: Rng, scene: Scene): QA | null {
  const cands = unique(scene.shapes, (s) => s.kind);
  if (cands.length === 0) return null;
  const s = rng.pick(cands);
  const q = rng.pick([`What color is the ${s.kind}?`, `Which color is the ${s.kind}?`]);
  return { type: "color", question: q, answer: s.color };
}

function shapeQ(rng: Rng, scene: Scene): QA | null {
  const cands = unique(scene.shapes, (s) => s.color);
  if (cands.length === 0) return null;
  const s = rng.pick(cands);
  const q = rng.pick([`What shape is the ${s.color} object?`, `What is the shape of the ${s.color} object?`]);
  return { type: "shape", question: q, answer: s.kind };
}

function countQ(rng: Rng, scene: Scene): QA {
  // Mostly ask about what is there (drawn uniformly, nearly every colour+kind count would be 0).
  const seen = scene.shapes.length > 0 && rng.chance(0.7) ? rng.pick(scene.shapes) : null;
  const color = seen?.color ?? rng.pick(COLOR_NAMES);
  const kind = seen?.kind ?? rng.pick(SHAPE_KINDS);
  const mode = rng.int(0, 3);
  const what = [`${color} ${PLURAL[kind]}`, PLURAL[kind], `${color} shapes`, "shapes"][mode];
  const n = scene.shapes.filter((s) => (mode === 1 || mode === 3 || s.color === color) && (mode >= 2 || s.kind === kind)).length;
  const q = rng.pick([`How many ${what} are there?`, `How many ${what} are in the image?`]);
  return { type: "count", question: q, answer: String(n) };
}

function positionQ(rng: Rng, scene: Scene): QA | null {
  const cands = nameable(scene).filter((s) => regionOf(scene, s) !== null);
  if (cands.length === 0) return null;
  const s = rng.pick(cands);
  const q = rng.pick([`Where is the ${desc(s)}?`, `In which part of the image is the ${desc(s)}?`]);
  return { type: "position", question: q, answer: regionOf(scene, s)! };
}

interface Pair { a: ShapeObject; b: ShapeObject; axis: "x" | "y" }

function relationPairs(scene: Scene): Pair[] {
  const names = nameable(scene);
  const out: Pair[] = [];
  for (const a of names) {
    for (const b of names) {
      if (a === b) continue;
      if (Math.abs(a.cx - b.cx) > 0.1 * scene.width) out.push({ a, b, axis: "x" });
      if (Math.abs(a.cy - b.cy) > 0.1 * scene.height) out.push({ a, b, axis: "y" });
    }
  }
  return out;
}

function relationQ(rng: Rng, scene: Scene): QA | null {
  const pairs = relationPairs(scene);
  if (pairs.length === 0) return null;
  const { a, b, axis } = rng.pick(pairs);
  if (axis === "x") {
    const q = `Is the ${desc(a)} to the left or to the right of the ${desc(b)}?`;
    return { type: "relation", question: q, answer: a.cx < b.cx ? "left" : "right" };
  }
  const q = `Is the ${desc(a)} above or below the ${desc(b)}?`;
  return { type: "relation", question: q, answer: a.cy < b.cy ? "above" : "below" };
}

function readingQ(rng: Rng, scene: Scene): QA | null {
  if (scene.texts.length === 0) return null;
  const t = rng.pick(scene.texts);
  const q = t.kind === "word"
    ? rng.pick(["What word is written in the image?", "What does the word in the image say?"])
    : rng.pick(["What number is written in the image?", "Which number is shown in the image?"]);
  return { type: "reading", question: q, answer: t.text };
}

function yesnoQ(rng: Rng, scene: Scene): QA {
  const wantYes = rng.chance(0.5);
  const mode = rng.int(0, 3);
  if (mode === 0 || mode === 1) {
    // Existence of a colour+kind (mode 0) or a kind (mode 1).
    const present = scene.shapes;
    const allCombos = COLOR_NAMES.flatMap((c) => SHAPE_KINDS.map((k) => ({ color: c, kind: k })));
    const has = (c: string, k: string) => present.some((s) => (mode === 1 || s.color === c) && s.kind === k);
    const pool = allCombos.filter((x) => has(x.color, x.kind) === wantYes);
    if (pool.length > 0) {
      const x = rng.pick(pool);
      const q = mode === 0 ? `Is there ${article(x.color)} ${x.color} ${x.kind}?` : `Are there any ${PLURAL[x.kind]}?`;
      return { type: "yesno", question: q, answer: has(x.color, x.kind) ? "yes" : "no" };
    }
  }
  if (mode === 2) {
    const pairs = relationPairs(scene);
    if (pairs.length > 0) {
      const { a, b, axis } = rng.pick(pairs);
      const left = rng.chance(0.5);
      const q = axis === "x"
        ? `Is the ${desc(a)} to the ${left ? "left" : "right"} of the ${desc(b)}?`
        : `Is the ${desc(a)} ${left ? "above" : "below"} the ${desc(b)}?`;
      const truth = axis === "x" ? (a.cx < b.cx) === left : (a.cy < b.cy) === left;
      return { type: "yesno", question: q, answer: truth ? "yes" : "no" };
    }
  }
  // Fallback: is a word written?
  const words = scene.texts.filter((t) => t.kind === "word").map((t) => t.text);
  const w = wantYes && words.length > 0 ? rng.pick(words) : rng.pick(WORDS);
  return { type: "yesno", question: `Is the word ${w} written in the image?`, answer: words.includes(w) ? "yes" : "no" };
}

function pointQ(rng: Rng, scene: Scene): QA | null {
  const cands = nameable(scene);
  if (cands.length === 0) return null;
  const s = rng.pick(cands);
  const [cx, cy] = boxCenter(s.box);
  const target = normBox(s.box, scene.width, scene.height);
  const answer = `<point>${normCoord(cx, scene.width)} ${normCoord(cy, scene.height)}</point>`;
  return { type: "point", question: `Point to the ${desc(s)}.`, answer, target };
}

function boxQ(rng: Rng, scene: Scene): QA | null {
  const cands: { name: string; box: Box }[] = nameable(scene).map((s) => ({ name: `the ${desc(s)}`, box: s.box }));
  for (const t of scene.texts) cands.push({ name: `the ${t.kind} ${t.text}`, box: t.box });
  if (cands.length === 0) return null;
  const c = rng.pick(cands);
  const target = normBox(c.box, scene.width, scene.height);
  return { type: "box", question: `Give the bounding box of ${c.name}.`, answer: `<box>${target.join(" ")}</box>`, target };
}

const MAKERS: Record<(typeof QUESTION_TYPES)[number], (rng: Rng, scene: Scene) => QA | null> = {
  color: colorQ, shape: shapeQ, count: countQ, position: positionQ, relation: relationQ,
  reading: readingQ, yesno: yesnoQ, point: pointQ, box: boxQ,
};

/**
 * One question of each type the scene supports, plus one extra count and yes/no question; `rounds` > 1
 * repeats that (more questions per image for training; the first round is the same whatever `rounds` is).
 */
export function askQuestions(rng: Rng, scene: Scene, rounds = 1): QA[] {
  const out: QA[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const t of QUESTION_TYPES) {
      const qa = MAKERS[t](rng, scene);
      if (qa !== null) out.push(qa);
    }
    out.push(countQ(rng, scene), yesnoQ(rng, scene));
  }
  // Drop exact duplicates (same question twice).
  return out.filter((qa, i) => out.findIndex((o) => o.question === qa.question) === i);
}
