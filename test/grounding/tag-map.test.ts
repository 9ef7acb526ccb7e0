/** TAG's map and regions against the official code (HeimingX/TAG core_utils/tag.py) on synthetic attentions (tools/tag/golden.py). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { attentionMap, bestRegion, mapRegions, type TagCrop } from "../../src/grounding/tag-map.js";
import { fixtureJSON } from "../formats/fixture-files.js";

const g = fixtureJSON("tag/golden.json");

for (const c of g.cases as any[]) {
  test(`TAG map and boxes as the official code: ${c.grid ? `${c.grid[0]}x${c.grid[1]} slices` : "unsliced"}`, () => {
    const per = c.layers * c.heads * c.rows;
    const tokens = c.query_rows.map((_: number, t: number) => Float32Array.from(c.query_attention.slice(t * per, (t + 1) * per)));
    const cross = Float32Array.from(c.cross);
    const crops: TagCrop[] = c.crops_hw.map(([h, w]: number[], i: number) => ({
      start: c.bounds[i][0], n: c.bounds[i][1] - c.bounds[i][0],
      cross: cross.subarray(i * (c.bounds[i][1] - c.bounds[i][0]) * c.max_patches, (i + 1) * (c.bounds[i][1] - c.bounds[i][0]) * c.max_patches),
      stride: c.max_patches, w, h,
    }));
    const map = attentionMap({ nLayers: c.layers, nHeads: c.heads, rows: c.rows, tokens }, crops, c.grid, { topHeads: g.top_heads });
    const [W, H] = c.high_res_patches_wh;
    assert.deepEqual([map.w, map.h], [W, H]);
    let worst = 0;
    for (let x = 0; x < W; x++) for (let y = 0; y < H; y++) worst = Math.max(worst, Math.abs(map.data[y * W + x] - c.high_res_map_xy[x * H + y]));
    assert.ok(worst < 1e-5, `map differs by ${worst}`);

    const regions = mapRegions(map, g.threshold);
    const [ow, oh] = c.original_size;
    const sx = ow / (W * 14);
    const sy = oh / (H * 14);
    const boxes = regions.map((r) => [[r.patches[0] * 14 * sx, r.patches[1] * 14 * sy, (r.patches[2] * 14 + 13) * sx, (r.patches[3] * 14 + 13) * sy], r.confidence]);
    assert.equal(boxes.length, c.boxes.length);
    boxes.forEach(([b, conf], i) => {
      (b as number[]).forEach((v, j) => assert.ok(Math.abs(v - c.boxes[i][0][j]) < 1e-6, `box ${i}[${j}]: ${v} vs ${c.boxes[i][0][j]}`));
      assert.ok(Math.abs((conf as number) - c.boxes[i][1]) < 1e-5, `confidence ${i}`);
    });
    const best = bestRegion(regions)!;
    assert.equal(best.confidence, Math.max(...regions.map((r) => r.confidence)));
  });
}

test("regions: 8-connected, scanned by columns, a found region's box is not scanned again", () => {
  // 5 x 4 map: a diagonal pair (one region), a lone peak, and a weak patch below the threshold
  const w = 5, h = 4;
  const data = new Float32Array(w * h);
  const set = (x: number, y: number, v: number) => { data[y * w + x] = v; };
  set(0, 0, 0.9); set(1, 1, 0.6); set(4, 3, 1); set(3, 0, 0.4);
  const regions = mapRegions({ w, h, data }, 0.5);
  assert.deepEqual(regions.map((r) => [...r.patches]), [[0, 0, 1, 1], [4, 3, 4, 3]]);
  assert.deepEqual(regions.map((r) => r.confidence), [data[0], 1]);
  assert.deepEqual([...bestRegion(regions)!.patches], [4, 3, 4, 3]);
  assert.equal(bestRegion([]), null);
});
