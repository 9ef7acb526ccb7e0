/** planVideoFrames against the authors' encode_video() run on stub readers (test/fixtures/hf/golden.json). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { planVideoFrames } from "../../src/multimodal/video/plan-frames.js";
import { fixtureJSON } from "../formats/fixture-files.js";

const helper = fixtureJSON("hf/golden.json").video_temporal_ids_helper;
const parse = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);

for (const c of helper.cases as any[]) {
  test(`frames and temporal ids: ${c.num_frames} frames at ${c.avg_fps} fps, choose_fps ${c.choose_fps}, packing ${c.force_packing ?? "auto"}`, () => {
    const plan = planVideoFrames(c.num_frames, c.avg_fps, { chooseFps: c.choose_fps, forcePacking: c.force_packing ?? undefined });
    // the fixture recorded frame indices in 16 bits (108000 frames: 65700 appears as 164); the temporal ids,
    // computed from the true indices, carry on past 65536 / 30 s
    assert.deepEqual(plan.frameIndices.map((f) => f % 65536), parse(c.selected_frame_idx));
    assert.deepEqual(plan.temporalIds, parse(c.temporal_id_groups));
  });
}

test("temporal ids truncate as the authors' int32 cast (4.3 s -> 42)", () => {
  // a 10 fps video: frame k is at k / 10 s, so its id is k except where k * 0.1 / 0.1 < k
  const plan = planVideoFrames(100, 10, { chooseFps: 10 });
  const truncated = helper.int_truncation_check.k.filter((k: number) => k < 100);
  for (const [i, f] of plan.frameIndices.entries()) {
    assert.equal(plan.temporalIds[i][0], truncated.includes(f) ? f - 1 : f, `frame ${f}`);
  }
});

test("bad arguments are refused", () => {
  assert.throws(() => planVideoFrames(0, 30), /numFrames/);
  assert.throws(() => planVideoFrames(10, 0), /fps/);
  assert.throws(() => planVideoFrames(10, 30, { forcePacking: 0 }), /forcePacking/);
});
