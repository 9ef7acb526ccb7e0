/**
 * The "bluelm" policy (relaxed aspect-ratio matching, see src/multimodal/image/bluelm-slicing.ts):
 * fewer tiles than the authors on small images, the same grid and pixels on large ones, never more.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { planImage, preprocessImage } from "../../src/multimodal/image/preprocess.js";
import { relaxedGrid } from "../../src/multimodal/image/bluelm-slicing.js";
import { DEFAULT_SLICE_OPTIONS } from "../../src/multimodal/image/slicing.js";
import { decodeImageFile } from "../../src/node/image-decode.js";
import { fixturePath } from "./fixtures.js";

const tiles = (size: [number, number], policy: "reference" | "bluelm", bluelmMargin?: number) => planImage(size, { policy, bluelmMargin }).slices.length;

test("small images get fewer tiles than the reference (the overview already holds their pixels)", () => {
  for (const size of [[449, 449], [450, 450], [500, 420], [470, 460]] as [number, number][]) {
    assert.equal(tiles(size, "reference"), 2, `${size} reference`);
    assert.equal(tiles(size, "bluelm"), 0, `${size} bluelm`);
  }
});

test("on the 449x449 fixture: 1 crop instead of 3, and that crop is the reference's unsliced resize", async () => {
  const img = await decodeImageFile(fixturePath("hf", "images", "sq_449x449.png"));
  const ref = preprocessImage(img, { policy: "reference" });
  const blue = preprocessImage(img, { policy: "bluelm" });
  assert.equal(ref.crops.length, 3);
  assert.equal(blue.crops.length, 1);
  assert.equal(blue.grid, null);
  const unsliced = preprocessImage(img, { policy: "reference", maxSliceNums: 1 });
  assert.deepEqual(blue.crops[0].image, unsliced.crops[0].image);
});

test("large images keep the reference grid, sizes and pixels", async () => {
  const sizes: [number, number][] = [[896, 896], [1344, 896], [1920, 1080], [4000, 100], [100, 4000], [300, 1200], [1344, 1344], [4032, 3024], [640, 488], [1000, 500]];
  for (const size of sizes) {
    const r = planImage(size, { policy: "reference" });
    assert.deepEqual(planImage(size, { policy: "bluelm" }), r, `${size}`);
  }
  for (const name of ["sq_1344x896", "wide_1000x500"]) {
    const img = await decodeImageFile(fixturePath("hf", "images", `${name}.png`));
    const r = preprocessImage(img, { policy: "reference" });
    const b = preprocessImage(img, { policy: "bluelm" });
    assert.deepEqual(b, r, name);
  }
});

test("never more tiles than the reference; sometimes a cheaper grid of better aspect", () => {
  let fewer = 0;
  for (let w = 100; w <= 3000; w += 61) {
    for (let h = 100; h <= 3000; h += 67) {
      const r = tiles([w, h], "reference");
      const b = tiles([w, h], "bluelm");
      assert.ok(b <= r, `${w}x${h}: bluelm ${b} > reference ${r}`);
      if (b < r) fewer++;
    }
  }
  assert.ok(fewer > 0);
  // 2791x738: the reference picks 4x2 (8 slices); 7x1 fits the 3.8:1 aspect better and the 8th
  // slice adds less than 10% real resolution
  assert.deepEqual(planImage([2791, 738], { policy: "reference" }).grid, [4, 2]);
  assert.deepEqual(planImage([2791, 738], { policy: "bluelm" }).grid, [7, 1]);
});

test("the margin is the knob: 0 slices whenever pixels are gained, larger margins slice less", () => {
  assert.deepEqual(relaxedGrid([449, 449], DEFAULT_SLICE_OPTIONS, 0), [1, 2]);
  assert.equal(relaxedGrid([449, 449], DEFAULT_SLICE_OPTIONS, 0.1), null);
  // 640x488: slicing shows 312,320 real pixels instead of the overview's 203,056 (+54%)
  assert.deepEqual(relaxedGrid([640, 488], DEFAULT_SLICE_OPTIONS, 0.5), [2, 1]);
  assert.equal(relaxedGrid([640, 488], DEFAULT_SLICE_OPTIONS, 0.6), null);
  assert.equal(tiles([520, 500], "bluelm", 0.1), 2);
  assert.equal(tiles([520, 500], "bluelm", 0.5), 0);
  assert.throws(() => relaxedGrid([640, 488], DEFAULT_SLICE_OPTIONS, -1), RangeError);
});
