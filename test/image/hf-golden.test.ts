/**
 * The "reference" policy against the authors' processor (test/fixtures/hf/golden.json): sizes, grids,
 * crop boxes for every image x max_slice_nums, and the float32 pixels of every crop (sha256 of the
 * `reshape_by_patch` layout, plus element-wise comparison with the 5 stored pixel_values tensors).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeImageFile } from "../../src/node/image-decode.js";
import { preprocessImage, planImage } from "../../src/multimodal/image/preprocess.js";
import { findBestResize } from "../../src/multimodal/image/slicing.js";
import { reshapeByPatch, toPixelValues, unreshapeByPatch } from "../../src/multimodal/image/pixel-values.js";
import type { RgbImage } from "../../src/multimodal/image/rgb-image.js";
import { fixturePath, readF32, readJson, sha256 } from "./fixtures.js";

interface GoldenSlice { row: number; col: number; size_wh: [number, number]; crop_box_ltrb: [number, number, number, number] }
interface GoldenCase {
  image: string;
  max_slice_nums: number;
  image_size_wh: [number, number];
  grid: [number, number] | null;
  overview_size_wh: [number, number];
  refine_size_wh: [number, number] | null;
  slices: GoldenSlice[];
  find_best_resize_no_upscale: [number, number];
  find_best_resize_upscale: [number, number];
  tgt_sizes_hw: [number, number][];
  num_slices: number;
  slice_stats: { index: number; role: string; shape: number[]; sha256_f32le: string }[];
  pixel_values?: { file: string; shape: number[]; sha256: string }[];
}

const golden = readJson("hf", "golden.json");
const images: { name: string; file: string; size_wh: [number, number]; mode: string }[] = golden.images;
const cases: GoldenCase[] = golden.image_processing.cases;

const decoded = new Map<string, Promise<RgbImage>>();
function load(name: string): Promise<RgbImage> {
  const entry = images.find((i) => i.name === name);
  assert.ok(entry, `image ${name} not in golden.json`);
  if (!decoded.has(name)) decoded.set(name, decodeImageFile(fixturePath("hf", entry.file)));
  return decoded.get(name)!;
}

const totals = { crops: 0, shaEqual: 0, storedLevels: 0, storedEqual: 0, storedMaxLevelDiff: 0 };

test("reference geometry equals the authors' processor for every image and max_slice_nums", () => {
  assert.equal(cases.length, 54);
  for (const c of cases) {
    const label = `${c.image} msn=${c.max_slice_nums}`;
    const plan = planImage(c.image_size_wh, { policy: "reference", maxSliceNums: c.max_slice_nums });
    assert.deepEqual(plan.original, c.image_size_wh, label);
    assert.deepEqual(plan.grid, c.grid, `${label} grid`);
    assert.deepEqual(plan.overview, c.overview_size_wh, `${label} overview`);
    assert.deepEqual(plan.refined, c.refine_size_wh, `${label} refined`);
    assert.equal(plan.slices.length, c.slices.length, `${label} slice count`);
    assert.equal(c.num_slices, 1 + c.slices.length, label);
    plan.slices.forEach((s, i) => {
      const g = c.slices[i];
      assert.deepEqual([s.row, s.col], [g.row, g.col], `${label} slice ${i} position`);
      assert.deepEqual(s.box, g.crop_box_ltrb, `${label} slice ${i} box`);
      assert.deepEqual([s.box[2] - s.box[0], s.box[3] - s.box[1]], g.size_wh, `${label} slice ${i} size`);
    });
    const tgt = [plan.overview, ...plan.slices.map((s) => [s.box[2] - s.box[0], s.box[3] - s.box[1]])].map(([w, h]) => [h / 14, w / 14]);
    assert.deepEqual(tgt, c.tgt_sizes_hw, `${label} tgt_sizes`);
    assert.deepEqual(findBestResize(c.image_size_wh, 448, 14, false), c.find_best_resize_no_upscale, `${label} find_best_resize`);
    assert.deepEqual(findBestResize(c.image_size_wh, 448, 14, true), c.find_best_resize_upscale, `${label} find_best_resize upscale`);
  }
});

for (const name of [...new Set(cases.map((c) => c.image))]) {
  test(`reference pixels of ${name}: every crop bit-exact (sha256 of the float32 reshape_by_patch array)`, async () => {
    const img = await load(name);
    for (const c of cases.filter((x) => x.image === name)) {
      const label = `${name} msn=${c.max_slice_nums}`;
      assert.deepEqual([img.width, img.height], c.image_size_wh, label);
      const out = preprocessImage(img, { policy: "reference", maxSliceNums: c.max_slice_nums });
      assert.equal(out.crops.length, c.slice_stats.length, label);
      out.crops.forEach((crop, i) => {
        const { width: w, height: h } = crop.image;
        const st = c.slice_stats[i];
        assert.equal(crop.kind, st.role, `${label} crop ${i} kind`);
        assert.deepEqual(st.shape, [3, 14, (w / 14) * (h / 14) * 14], `${label} crop ${i} shape`);
        const patched = reshapeByPatch(toPixelValues(crop.image), w, h);
        totals.crops++;
        const ok = sha256(patched) === st.sha256_f32le;
        if (ok) totals.shaEqual++;
        assert.ok(ok, `${label} crop ${i} (${crop.kind} ${w}x${h}) sha256 differs`);
      });
      for (const pv of c.pixel_values ?? []) {
        const crop = out.crops[0].image;
        const expected = unreshapeByPatch(readF32("hf", pv.file), crop.width, crop.height);
        const ours = toPixelValues(crop);
        let equal = 0;
        let maxDiff = 0;
        for (let k = 0; k < ours.length; k++) {
          const a = Math.round((expected[k] * 0.5 + 0.5) * 255);
          const b = Math.round((ours[k] * 0.5 + 0.5) * 255);
          if (a === b) equal++;
          maxDiff = Math.max(maxDiff, Math.abs(a - b));
        }
        totals.storedLevels += ours.length;
        totals.storedEqual += equal;
        totals.storedMaxLevelDiff = Math.max(totals.storedMaxLevelDiff, maxDiff);
        assert.ok(equal / ours.length >= 0.999, `${label} ${pv.file}: ${equal}/${ours.length} levels equal`);
        assert.ok(maxDiff <= 1, `${label} ${pv.file}: a level differs by ${maxDiff}`);
        assert.equal(sha256(reshapeByPatch(ours, crop.width, crop.height)), pv.sha256, `${label} ${pv.file} sha256`);
      }
    }
  });
}

test("summary: exact-match rates against the authors' pixels", () => {
  assert.equal(totals.storedLevels > 0, true);
  const pct = (a: number, b: number) => ((100 * a) / b).toFixed(4);
  console.log(
    `# reference crops bit-exact: ${totals.shaEqual}/${totals.crops} (${pct(totals.shaEqual, totals.crops)}%); ` +
      `stored pixel_values levels equal: ${totals.storedEqual}/${totals.storedLevels} (${pct(totals.storedEqual, totals.storedLevels)}%), max level diff ${totals.storedMaxLevelDiff}`,
  );
});
