/** Shape outlines and bounding boxes in pixel coordinates. */
import type { ShapeKind } from "./vocab.js";

export type Box = [number, number, number, number]; // x0, y0, x1, y1 (pixels, exclusive end)
export type Point = [number, number];

/** Polygon vertices of a shape centred at (cx, cy) with outer radius r; null for a circle. */
export function outline(kind: ShapeKind, cx: number, cy: number, r: number): Point[] | null {
  switch (kind) {
    case "circle":
      return null;
    case "square": {
      const h = r * 0.82;
      return [[cx - h, cy - h], [cx + h, cy - h], [cx + h, cy + h], [cx - h, cy + h]];
    }
    case "triangle":
      return [[cx, cy - r], [cx + r * 0.95, cy + r * 0.8], [cx - r * 0.95, cy + r * 0.8]];
    case "diamond":
      return [[cx, cy - r], [cx + r * 0.75, cy], [cx, cy + r], [cx - r * 0.75, cy]];
    case "star": {
      const pts: Point[] = [];
      for (let i = 0; i < 10; i++) {
        const a = -Math.PI / 2 + (i * Math.PI) / 5;
        const rr = i % 2 === 0 ? r : r * 0.45;
        pts.push([cx + rr * Math.cos(a), cy + rr * Math.sin(a)]);
      }
      return pts;
    }
  }
}

export function shapeBox(kind: ShapeKind, cx: number, cy: number, r: number): Box {
  const pts = outline(kind, cx, cy, r);
  if (pts === null) return [cx - r, cy - r, cx + r, cy + r];
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const [x, y] of pts) {
    x0 = Math.min(x0, x); y0 = Math.min(y0, y);
    x1 = Math.max(x1, x); y1 = Math.max(y1, y);
  }
  return [x0, y0, x1, y1];
}

export function boxesOverlap(a: Box, b: Box, margin: number): boolean {
  return a[0] - margin < b[2] && b[0] - margin < a[2] && a[1] - margin < b[3] && b[1] - margin < a[3];
}

export function boxCenter(b: Box): Point {
  return [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
}

/** MiniCPM-V grounding convention: integers in 0..1000 relative to the image width / height. */
export function normCoord(v: number, size: number): number {
  return Math.max(0, Math.min(1000, Math.round((v / size) * 1000)));
}

export function normBox(b: Box, width: number, height: number): Box {
  return [normCoord(b[0], width), normCoord(b[1], height), normCoord(b[2], width), normCoord(b[3], height)];
}

export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return ua <= 0 ? 0 : inter / ua;
}
