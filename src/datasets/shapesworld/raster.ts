/** Pure pixel rasterising into an RGB Uint8Array (no canvas): fills, polygons, circles, bitmap text. */
import { GLYPH_WIDTH, glyph } from "./font.js";

export type RGB = readonly [number, number, number];

export interface RgbImage {
  width: number;
  height: number;
  /** Row-major RGB bytes, length width*height*3. */
  data: Uint8Array;
}

export function createImage(width: number, height: number, fill: RGB): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) {
    data[i] = fill[0];
    data[i + 1] = fill[1];
    data[i + 2] = fill[2];
  }
  return { width, height, data };
}

function setPixel(img: RgbImage, x: number, y: number, c: RGB): void {
  const o = (y * img.width + x) * 3;
  img.data[o] = c[0];
  img.data[o + 1] = c[1];
  img.data[o + 2] = c[2];
}

/** Fill every pixel whose centre satisfies `inside` within the clipped bounding box. */
function fillWhere(
  img: RgbImage,
  box: [number, number, number, number],
  c: RGB,
  inside: (x: number, y: number) => boolean,
): void {
  const x0 = Math.max(0, Math.floor(box[0]));
  const y0 = Math.max(0, Math.floor(box[1]));
  const x1 = Math.min(img.width - 1, Math.ceil(box[2]));
  const y1 = Math.min(img.height - 1, Math.ceil(box[3]));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) if (inside(x + 0.5, y + 0.5)) setPixel(img, x, y, c);
  }
}

export function fillRect(img: RgbImage, x0: number, y0: number, x1: number, y1: number, c: RGB): void {
  fillWhere(img, [x0, y0, x1, y1], c, (x, y) => x >= x0 && x < x1 && y >= y0 && y < y1);
}

export function fillCircle(img: RgbImage, cx: number, cy: number, r: number, c: RGB): void {
  const r2 = r * r;
  fillWhere(img, [cx - r, cy - r, cx + r, cy + r], c, (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r2);
}

/** Even–odd fill of a simple or star polygon given as [x, y] vertices. */
export function fillPolygon(img: RgbImage, pts: readonly (readonly [number, number])[], c: RGB): void {
  let bx0 = Infinity, by0 = Infinity, bx1 = -Infinity, by1 = -Infinity;
  for (const [x, y] of pts) {
    bx0 = Math.min(bx0, x); by0 = Math.min(by0, y);
    bx1 = Math.max(bx1, x); by1 = Math.max(by1, y);
  }
  fillWhere(img, [bx0, by0, bx1, by1], c, (x, y) => {
    let inside = false;
    for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
      const [xi, yi] = pts[i];
      const [xj, yj] = pts[j];
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  });
}

/** Draw `text` with the built-in font, top-left at (x, y), each font pixel a `scale`×`scale` block. */
export function drawText(img: RgbImage, text: string, x: number, y: number, scale: number, c: RGB): void {
  let penX = x;
  for (const ch of text) {
    const g = glyph(ch);
    for (let gy = 0; gy < g.length; gy++) {
      for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
        if (g[gy][gx]) fillRect(img, penX + gx * scale, y + gy * scale, penX + (gx + 1) * scale, y + (gy + 1) * scale, c);
      }
    }
    penX += (GLYPH_WIDTH + 1) * scale;
  }
}
