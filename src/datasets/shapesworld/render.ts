/** Scene → RGB pixels. */
import { outline } from "./geometry.js";
import { createImage, drawText, fillCircle, fillPolygon, type RgbImage } from "./raster.js";
import type { Scene, ShapeObject } from "./scene.js";
import { COLORS, TEXT_COLOR } from "./vocab.js";

export function drawShape(img: RgbImage, s: Pick<ShapeObject, "kind" | "color" | "cx" | "cy" | "r">): void {
  const c = COLORS[s.color];
  const pts = outline(s.kind, s.cx, s.cy, s.r);
  if (pts === null) fillCircle(img, s.cx, s.cy, s.r, c);
  else fillPolygon(img, pts, c);
}

export function renderScene(scene: Scene): RgbImage {
  const img = createImage(scene.width, scene.height, scene.background);
  for (const t of scene.texts) drawText(img, t.text, t.x, t.y, t.scale, TEXT_COLOR);
  for (const s of scene.shapes) drawShape(img, s);
  return img;
}
