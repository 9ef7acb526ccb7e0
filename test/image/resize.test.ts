/**
 * Resizers: PIL bicubic / bilinear against sha256s of Pillow 12.3's output for a synthetic pattern
 * (computed with Pillow when the test was written; the authors' crops in hf-golden.test.ts cover real
 * images), and llama.cpp's resizers' structural properties (their bytes are checked by
 * llamacpp-golden.test.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { pilAxisCoefficients, resizePil } from "../../src/multimodal/image/pil-resize.js";
import { resizeLlamacpp } from "../../src/multimodal/image/llamacpp-resize.js";
import { type RgbImage, cropRgbImage, createRgbImage } from "../../src/multimodal/image/rgb-image.js";
import { sha256 } from "./fixtures.js";

/** (x*31 + y*17 + c*101 + ((x*y) % 7) * 13) % 256, the pattern the Pillow hashes were made from */
function pattern(width: number, height: number): RgbImage {
  const img = createRgbImage(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) img.data[(y * width + x) * 3 + c] = (x * 31 + y * 17 + c * 101 + ((x * y) % 7) * 13) % 256;
    }
  }
  return img;
}

const PILLOW: [[number, number], [number, number], string, string][] = [
  [[37, 23], [11, 29], "1d1e24cf73b5d025484fbedbed336fc185fb4e12bf61c85de47cbc425c4358b7", "39faa56a6793d93faee83e9d55f99caf94d6f5a7d4e3b0b9408b7037bcd7155a"],
  [[5, 5], [64, 3], "51a76f9cef9328e0d258deb033a2c79e39859ecafc1c642ec0677daa3b1c41f7", "d6b550a6260554fad187958018487534038a75b9a2be506361301a9769df31ac"],
  [[1, 1], [3, 2], "cfaf0056604aea7c92d8ed2a0851c8e49a32221ef16f181a84b2fe3194e1a4f7", "cfaf0056604aea7c92d8ed2a0851c8e49a32221ef16f181a84b2fe3194e1a4f7"],
  [[300, 7], [299, 7], "730b44993118aad80cbd9f8acc7ea154a74ac1b94df1bdd2fd3dc7726cbd33af", "11f694fa12f15773761ec1df016036ae2fe55e1facb96b09312b361373afc4cd"],
  [[13, 200], [13, 14], "1608c5d0e2110817113a2c6fdeedc53768d338b6d1880ee6d23d2d657b130ff3", "2f8e0eb62ac4f94b3b11396b06b2b0277ad9facdfa88cefa8b6dd43ba79aeb0a"],
  [[640, 480], [518, 392], "54bea7e6b88879ac82c85a64bd89cb30aef8c66936f85c426735d5c5753dafb6", "0b86a1c20df6a3585d26b2b12aa03409eb00acc8d809b12642a0831438ef804b"],
  [[97, 61], [1400, 9], "a522f9daf00fe4bf4fb75a45fb1fa0000a8f56d958cfe8864c1ceed227c95c23", "ed62f84ce4d3e80f6bc63abdc86f3a8ef0cf7f5e8dd5302b20976982223fc3e6"],
];

test("resizePil equals Pillow's BICUBIC and BILINEAR bytes (up, down, one axis, 1x1)", () => {
  for (const [[w, h], [tw, th], bicubic, bilinear] of PILLOW) {
    const src = pattern(w, h);
    assert.equal(sha256(resizePil(src, tw, th, "bicubic").data), bicubic, `${w}x${h} -> ${tw}x${th} bicubic`);
    assert.equal(sha256(resizePil(src, tw, th, "bilinear").data), bilinear, `${w}x${h} -> ${tw}x${th} bilinear`);
  }
});

test("resizing to the same size returns an equal copy, not the same buffer", () => {
  const src = pattern(20, 10);
  for (const out of [resizePil(src, 20, 10), resizeLlamacpp(src, 20, 10, "bicubic", "ceil")]) {
    assert.deepEqual(out.data, src.data);
    assert.notEqual(out.data, src.data);
  }
});

test("PIL coefficients: support widened by the downscale factor, 22-bit weights summing to ~1", () => {
  const down = pilAxisCoefficients(1000, 100, "bicubic"); // scale 10: support 20 -> ksize 41
  assert.equal(down.ksize, 41);
  const up = pilAxisCoefficients(100, 1000, "bicubic"); // upscaling keeps support 2 -> ksize 5
  assert.equal(up.ksize, 5);
  for (const c of [down, up]) {
    for (let i = 0; i < c.first.length; i++) {
      let sum = 0;
      for (let k = 0; k < c.count[i]; k++) sum += c.weights[i * c.ksize + k];
      assert.ok(Math.abs(sum - (1 << 22)) <= c.count[i], `weights of output ${i} sum to ${sum}`);
    }
  }
});

test("a flat image stays flat under every resizer", () => {
  const flat = createRgbImage(33, 17);
  flat.data.fill(77);
  for (const out of [
    resizePil(flat, 100, 9),
    resizePil(flat, 5, 40, "bilinear"),
    resizeLlamacpp(flat, 100, 9, "bilinear"),
    resizeLlamacpp(flat, 5, 40, "bicubic"),
  ]) {
    assert.ok(out.data.every((v) => v === 77));
  }
});

test("llama.cpp 'ceil' padding letterboxes with black and keeps the aspect ratio", () => {
  const src = createRgbImage(640, 488);
  src.data.fill(200);
  const out = resizeLlamacpp(src, 728, 560, "bicubic", "ceil"); // scale 1.1375 -> 728x556, 2 rows each side
  const row = (y: number) => Array.from(out.data.subarray(y * 728 * 3, (y + 1) * 728 * 3));
  assert.ok(row(0).every((v) => v === 0) && row(1).every((v) => v === 0));
  assert.ok(row(2).every((v) => v === 200) && row(557).every((v) => v === 200));
  assert.ok(row(558).every((v) => v === 0) && row(559).every((v) => v === 0));
});

test("crop copies the box, row-major", () => {
  const src = pattern(9, 7);
  const c = cropRgbImage(src, 2, 3, 6, 5);
  assert.deepEqual([c.width, c.height], [4, 2]);
  assert.deepEqual(Array.from(c.data.subarray(0, 3)), Array.from(src.data.subarray((3 * 9 + 2) * 3, (3 * 9 + 2) * 3 + 3)));
  assert.deepEqual(Array.from(c.data.subarray(21, 24)), Array.from(src.data.subarray((4 * 9 + 5) * 3, (4 * 9 + 5) * 3 + 3)));
  assert.throws(() => cropRgbImage(src, 0, 0, 10, 7), RangeError);
});
