/** Scoring a model's answer against a ShapesWorld question. */
import { iou, type Box } from "./geometry.js";
import type { QA } from "./questions.js";

export function normalizeAnswer(s: string): string {
  return s.trim().toLowerCase().replace(/[.!]+$/, "").replace(/\s+/g, " ");
}

function numbers(s: string, tag: string): number[] | null {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(s);
  if (m === null) return null;
  const nums = m[1].trim().split(/[\s,]+/).map(Number);
  return nums.every(Number.isFinite) ? nums : null;
}

/**
 * True when `prediction` answers `qa`: exact (normalised) match for word / number answers; for a
 * point, inside the target box; for a box, IoU >= 0.5 with the target box.
 */
export function isCorrect(qa: QA, prediction: string): boolean {
  if (qa.type === "point" && qa.target) {
    const p = numbers(prediction, "point");
    if (p === null || p.length !== 2) return false;
    const t = qa.target;
    return p[0] >= t[0] && p[0] <= t[2] && p[1] >= t[1] && p[1] <= t[3];
  }
  if (qa.type === "box" && qa.target) {
    const b = numbers(prediction, "box");
    if (b === null || b.length !== 4) return false;
    return iou(b as Box, qa.target) >= 0.5;
  }
  return normalizeAnswer(prediction) === normalizeAnswer(qa.answer);
}
