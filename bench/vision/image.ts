/**
 * The benchmark's test image: a deterministic synthetic 1344×896 scene (gradient background, coloured
 * discs and bars, a little noise) written once as PNG into the cache folder (atomically: `.partial`,
 * then renamed). Both engines read the same file; only its size matters for speed.
 */
import { mkdir, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { rng } from "../synth-model.js";

const IMAGE_VERSION = 1;

export function testImagePath(cacheDir: string, width: number, height: number): string {
  return join(cacheDir, `vision-test-${width}x${height}-v${IMAGE_VERSION}.png`);
}

function scene(width: number, height: number): Uint8Array {
  const px = new Uint8Array(width * height * 3);
  const next = rng(0x5eed + width * 31 + height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const n = (next() & 15) - 8;
      px[i] = Math.max(0, Math.min(255, 40 + (150 * x) / width + n));
      px[i + 1] = Math.max(0, Math.min(255, 60 + (120 * y) / height + n));
      px[i + 2] = Math.max(0, Math.min(255, 170 - (100 * (x + y)) / (width + height) + n));
    }
  }
  const colours = [[220, 40, 40], [40, 180, 60], [240, 200, 30], [30, 60, 200], [250, 250, 250]];
  for (let k = 0; k < 24; k++) {
    const cx = next() % width;
    const cy = next() % height;
    const r = 20 + (next() % Math.max(21, Math.floor(Math.min(width, height) / 8)));
    const [cr, cg, cb] = colours[k % colours.length];
    const bar = k % 3 === 2;
    for (let y = Math.max(0, cy - r); y < Math.min(height, cy + r); y++) {
      for (let x = Math.max(0, cx - r); x < Math.min(width, cx + r); x++) {
        if (!bar && (x - cx) ** 2 + (y - cy) ** 2 > r * r) continue;
        if (bar && Math.abs(y - cy) > r / 4) continue;
        const i = (y * width + x) * 3;
        px[i] = cr;
        px[i + 1] = cg;
        px[i + 2] = cb;
      }
    }
  }
  return px;
}

/** The PNG's path, written first if missing. */
export async function ensureTestImage(cacheDir: string, width = 1344, height = 896): Promise<string> {
  const path = testImagePath(cacheDir, width, height);
  try {
    if ((await stat(path)).size > 0) return path;
  } catch {
    // write it
  }
  await mkdir(cacheDir, { recursive: true });
  const png = await sharp(scene(width, height), { raw: { width, height, channels: 3 } }).png().toBuffer();
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, png);
  await rename(partial, path);
  return path;
}
