/**
 * Slicing arithmetic: Python semantics of the authors' code (ties to even, int truncation, first
 * minimum), llama.cpp's float32 / std::round variant and its documented deviations.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  candidateGrids,
  ensureDivide,
  findBestResize,
  getRefineSize,
  getSlicedGrid,
  gridCells,
  planReference,
  roundHalfEven,
  DEFAULT_SLICE_OPTIONS,
} from "../../src/multimodal/image/slicing.js";
import { ensureDivideLlamacpp, planLlamacpp } from "../../src/multimodal/image/llamacpp-slicing.js";
import { planImage } from "../../src/multimodal/image/preprocess.js";
import { UserError } from "../../src/errors.js";

test("roundHalfEven is Python's round()", () => {
  const cases: [number, number][] = [[0.5, 0], [1.5, 2], [2.5, 2], [3.5, 4], [39.5, 40], [224.5, 224], [2.4999, 2], [2.5001, 3], [7, 7], [-0.5, 0], [-1.5, -2]];
  for (const [x, r] of cases) assert.equal(roundHalfEven(x) + 0, r, String(x)); // + 0: -0 -> 0
});

test("ensure_divide: ties to even in the authors' code, away from zero in llama.cpp", () => {
  assert.equal(ensureDivide(553, 14), 560); // 39.5 -> 40
  assert.equal(ensureDivide(3143, 14), 3136); // 224.5 -> 224
  assert.equal(ensureDivideLlamacpp(3143, 14), 3150); // std::round(224.5) = 225
  assert.equal(ensureDivide(3, 14), 14); // never below one patch
  assert.equal(ensureDivideLlamacpp(3, 14), 14);
});

test("find_best_resize truncates twice (h first, then w = int(h*r))", () => {
  assert.deepEqual(findBestResize([50, 30], 448, 14, true), [574, 350]);
  assert.deepEqual(findBestResize([50, 30], 448, 14, false), [56, 28]);
  assert.deepEqual(findBestResize([1920, 1080], 448, 14, false), [602, 336]);
  assert.deepEqual(findBestResize([4000, 100], 448, 14, false), [2800, 70]);
});

test("grid choice: candidates multiple-1..multiple+1, log-aspect error, first minimum wins", () => {
  assert.deepEqual(candidateGrids(2, 9), [[1, 2], [2, 1], [1, 3], [3, 1]]);
  assert.deepEqual(candidateGrids(9, 9), [[1, 8], [2, 4], [4, 2], [8, 1], [1, 9], [3, 3], [9, 1]]);
  // near-square images needing 2 slices: 1 column x 2 rows (the first of the tied 1x2 / 2x1)
  assert.deepEqual(getSlicedGrid([449, 449], DEFAULT_SLICE_OPTIONS), [1, 2]);
  assert.deepEqual(getSlicedGrid([450, 450], DEFAULT_SLICE_OPTIONS), [1, 2]);
  assert.equal(getSlicedGrid([448, 448], DEFAULT_SLICE_OPTIONS), null);
  assert.equal(getSlicedGrid([1920, 1080], { ...DEFAULT_SLICE_OPTIONS, maxSliceNums: 1 }), null);
  assert.deepEqual(getSlicedGrid([1920, 1080], DEFAULT_SLICE_OPTIONS), [4, 2]);
  assert.deepEqual(getSlicedGrid([1920, 1080], { ...DEFAULT_SLICE_OPTIONS, maxSliceNums: 2 }), [2, 1]);
});

test("refine size and crop boxes tile the refined image row-major", () => {
  assert.deepEqual(getRefineSize([449, 449], [1, 2], 448, 14, true), [630, 644]);
  const cells = gridCells([1680, 952], [4, 2]);
  assert.equal(cells.length, 8);
  assert.deepEqual(cells[0], { row: 0, col: 0, box: [0, 0, 420, 476] });
  assert.deepEqual(cells[5], { row: 1, col: 1, box: [420, 476, 840, 952] });
  const plan = planReference([1344, 1344]);
  assert.deepEqual([plan.grid, plan.overview, plan.refined, plan.slices.length], [[3, 3], [448, 448], [1344, 1344], 9]);
});

test("options: scaleResolution and patchSize change the geometry; bad values are rejected", () => {
  const plan = planImage([1000, 500], { policy: "reference", scaleResolution: 224, patchSize: 16 });
  assert.ok(plan.grid !== null);
  for (const s of [plan.overview, plan.refined!]) assert.ok(s[0] % 16 === 0 && s[1] % 16 === 0);
  assert.ok(plan.overview[0] * plan.overview[1] <= 224 * 224 * 1.2);
  const badArgument = (e: unknown) => e instanceof UserError && e.code === "bad_argument";
  assert.throws(() => planImage([10, 10], { policy: "reference", maxSliceNums: 0 }), badArgument);
  assert.throws(() => planImage([10, 10], { policy: "reference", patchSize: 1.5 }), badArgument);
  assert.throws(() => planImage([10, 10], { policy: "bluelm", bluelmMargin: -0.1 }), badArgument);
  assert.throws(() => planImage([10, 10], { policy: "nope" as never }), badArgument);
});

test("llama.cpp slicing: the documented observations (input -> overview, grid, slice size)", () => {
  const cases: [[number, number], [number, number], [number, number] | null, [number, number] | null][] = [
    [[640, 488], [518, 392], [2, 1], [364, 560]],
    [[1000, 500], [630, 322], [2, 1], [448, 448]],
    [[1344, 896], [546, 364], [3, 2], [448, 448]],
    [[300, 1200], [224, 896], [1, 3], [392, 518]],
    [[300, 200], [448, 448], null, null], // stretched, not sliced
    [[500, 300], [504, 294], [2, 1], [406, 490]], // one side > 448 with area <= 448²: 2 slices
  ];
  for (const [size, overview, grid, slice] of cases) {
    const p = planLlamacpp(size);
    assert.deepEqual(p.overview, overview, `${size} overview`);
    assert.deepEqual(p.grid, grid, `${size} grid`);
    if (slice) {
      const b = p.slices[0].box;
      assert.deepEqual([b[2] - b[0], b[3] - b[1]], slice, `${size} slice`);
    }
    // the authors would not slice 500x300 at all
    if (size[0] === 500) assert.equal(planReference(size).grid, null);
  }
});
