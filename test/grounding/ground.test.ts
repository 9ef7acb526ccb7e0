/** TAG on a model: the phrase's rows, the crops' wiring (overview alone, or stitched slices), the CLI. */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { groundByAttention } from "../../src/grounding/ground.js";
import { generateScene, renderScene, Rng } from "../../src/datasets/shapesworld/index.js";
import { openVlm, type OpenedVlm } from "../../src/node/open-vlm.js";

let vlm: OpenedVlm;
before(async () => { vlm = await openVlm({ backend: "js" }); });
after(() => vlm.dispose());

test("an unsliced image: the map is the overview's patch grid, the rows spell the target, the point is inside the image", async () => {
  const scene = generateScene(new Rng(4), { size: [380, 254] });
  const image = renderScene(scene);
  const r = await groundByAttention(vlm, image, "red circle");
  const pre = vlm.lastImages[0];
  assert.equal(pre.grid, null);
  assert.deepEqual([r.map.w * 14, r.map.h * 14], [pre.crops[0].image.width, pre.crops[0].image.height]);
  const layout = await vlm.prompt([{ role: "user", content: [{ type: "image", image }, { type: "text", text: "Point to the red circle." }] }]);
  const ids: number[] = [];
  for (const s of layout.segments) if (s.kind === "tokens") ids.push(...s.ids); else ids.push(...new Array(s.n).fill(-1));
  const spelled = Buffer.concat(r.queryRows.map((row) => Buffer.from(vlm.tokenizer.tokenToPiece(ids[row], true)))).toString();
  assert.ok(spelled.includes("red circle") || "red circle".includes(spelled.trim()), `rows spell ${JSON.stringify(spelled)}`);
  assert.ok(r.queryRows.length >= 1 && r.queryRows.every((x, i) => i === 0 || x === r.queryRows[i - 1] + 1), "consecutive rows");
  assert.equal(Math.max(...r.map.data), 1);
  assert.ok(r.best && r.point, "a region above 0.5 always exists: the maximum is 1");
  assert.ok(r.point[0] >= 0 && r.point[0] <= image.width && r.point[1] >= 0 && r.point[1] <= image.height);
  for (const g of r.regions) assert.ok(g.box[0] <= g.box[2] && g.box[1] <= g.box[3] && g.confidence >= 0.5 && g.confidence <= 1);
  await assert.rejects(groundByAttention(vlm, image, "red circle", { question: "Where?" }), /does not contain the target/);
  await assert.rejects(groundByAttention(vlm, image, "  "), /target phrase is empty/);
});

test("a sliced image: the map stitches the slices by their grid", async () => {
  const image = renderScene(generateScene(new Rng(9), { size: [896, 448] }));
  const r = await groundByAttention(vlm, image, "blue square", { question: "Is there a blue square?" });
  const pre = vlm.lastImages[0];
  assert.ok(pre.grid, "sliced");
  const slice = pre.crops[1].image;
  assert.deepEqual([r.map.w, r.map.h], [pre.grid![0] * slice.width / 14, pre.grid![1] * slice.height / 14]);
  assert.ok(r.point![0] <= image.width && r.point![1] <= image.height);
});

test("pocketvlm ground: JSON with the point, the box and the regions in the image's pixels", async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "src/cli/run.ts", "ground", "--image", "examples/shapes.png", "--threads", "1", "red circle"]);
  const out = JSON.parse(stdout.trim().split("\n").pop()!);
  assert.deepEqual(out.image, [380, 254]);
  assert.deepEqual(out.map, [39, 26]);
  assert.equal(out.point.length, 2);
  assert.ok(out.point_1000.every((v: number, i: number) => Number.isInteger(v) && Math.abs(v - (out.point[i] / out.image[i]) * 1000) <= 1), `point_1000 ${out.point_1000}`);
  assert.equal(out.box_1000.length, 4);
  assert.ok(out.regions.length >= 1 && out.confidence >= 0.5);
});
