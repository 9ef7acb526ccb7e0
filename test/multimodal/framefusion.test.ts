/**
 * FrameFusion against the official module (thu-nics/FrameFusion framefusion/main.py) driven through a scripted
 * prefill by tools/framefusion/golden.py: same rows kept, same merged hidden states, same per-layer
 * sparsities, merging and pruning ending at the same calls. Then on a real model: what a video prompt loses.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { FrameFusion, pruningRatio } from "../../src/multimodal/video/framefusion.js";
import { fixtureJSON } from "../formats/fixture-files.js";

const g = fixtureJSON("framefusion/golden.json");

test("pruningRatio: the budget examples of the paper's cost formula (cost 0.3, 28 layers)", () => {
  assert.ok(Math.abs(pruningRatio([], 0.3, 28) - 0.7) < 1e-12);
  assert.ok(Math.abs(pruningRatio([0.4], 0.3, 28) - 0.5185185185) < 1e-9);
  assert.ok(Math.abs(pruningRatio([0.4, 0.2], 0.3, 28) - 0.4134615385) < 1e-9);
  assert.equal(pruningRatio([], 1, 28), 0);
  assert.throws(() => pruningRatio([0, 0, 0], 0.05, 28), /already spent/);
});

/** The golden's drift and attention, as tools/framefusion/golden.py makes them. */
const drift = (pos: number, layer: number, j: number) => 0.05 * Math.sin(0.37 * pos + 0.11 * layer + 0.013 * j);
function lastRowAttention(positions: number[], layer: number, heads: number): Float32Array {
  const S = positions.length;
  const out = new Float32Array(heads * S);
  for (let h = 0; h < heads; h++) {
    const logits = positions.map((p) => Math.cos(0.5 * p + 0.7 * h + 0.3 * layer) * 3);
    const mx = Math.max(...logits);
    const e = logits.map((x) => Math.exp(x - mx));
    const sum = e.reduce((a, b) => a + b, 0);
    e.forEach((v, j) => { out[h * S + j] = v / sum; });
  }
  return out;
}

for (const c of g.cases as any[]) {
  test(`official FrameFusion, cost ${c.cost}, similarity ${c.similarity}: rows kept, merged states, sparsities`, () => {
    const d = g.hidden_size;
    const ff = new FrameFusion({ firstRow: g.first_frame_row, rowsPerFrame: g.tokens_per_frame, rows: g.tokens_per_frame * g.frames },
      g.layers, 0, { cost: c.cost, similarity: c.similarity, ratioLowerBound: g.ratio_lower_bound });
    let hidden = Float32Array.from(g.input);
    let positions = Int32Array.from({ length: g.rows }, (_, i) => i);
    const apply = (edit: ReturnType<FrameFusion["beforeLayers"]>) => {
      if (!edit) return;
      const next = new Float32Array(edit.keep.length * d);
      edit.keep.forEach((i, r) => next.set(edit.hidden ? edit.hidden.subarray(r * d, (r + 1) * d) : hidden.subarray(i * d, (i + 1) * d), r * d));
      hidden = next;
      positions = Int32Array.from(edit.keep, (i) => positions[i]);
    };
    for (const step of c.steps) {
      if (step.where === "beforeLayers") {
        apply(ff.beforeLayers({ layer: -1, hidden, n: positions.length, positions }));
      } else {
        const l = step.layer;
        for (let i = 0; i < positions.length; i++) for (let j = 0; j < d; j++) hidden[i * d + j] += drift(positions[i], l, j);
        if (ff.wantsAttention()) {
          const n = positions.length;
          ff.attention(l, lastRowAttention([...positions], l, g.heads), 1, n, { qStart: n - 1, qPositions: positions.subarray(n - 1), kvPositions: positions });
        }
        apply(ff.afterAttention({ layer: l, hidden, n: positions.length, positions }));
      }
      const where = `${step.where} ${step.layer}`;
      assert.deepEqual([...positions], step.positions, `${where}: rows kept`);
      let worst = 0;
      for (let i = 0; i < hidden.length; i++) worst = Math.max(worst, Math.abs(hidden[i] - step.hidden[i]));
      assert.ok(worst < 1e-5, `${where}: hidden states differ by ${worst}`);
      assert.equal(ff.sparsities.length, step.sparsity.length, `${where}: rounds`);
      ff.sparsities.forEach((s, i) => assert.ok(Math.abs(s - step.sparsity[i]) < 1e-12, `${where}: sparsity ${i}`));
      assert.equal(ff.mergingDone, step.merging_done, `${where}: merging done`);
      assert.equal(ff.pruningDone, step.pruning_done, `${where}: pruning done`);
    }
    assert.equal(ff.merged + ff.pruned, g.rows - positions.length);
  });
}

test("on a model: a 6-frame video prompt loses rows to merging and pruning, decoding goes on; a no-op FrameFusion changes nothing", async () => {
  const { openVlm } = await import("../../src/node/open-vlm.js");
  const { generateClip, renderClipFrame, Rng } = await import("../../src/datasets/shapesworld/index.js");
  const vlm = await openVlm({ backend: "js" }); // the built-in ShapesWorld model: V4.5 layout, 3-D resampler
  try {
    const clip = generateClip(new Rng(3), 6);
    const frames = Array.from({ length: 6 }, (_, i) => renderClipFrame(clip, i));
    const messages = [{ role: "user" as const, content: [{ type: "video" as const, frames, temporalIds: [[0], [5], [10], [15], [20], [25]] }, { type: "text" as const, text: "Which way does the shape move?" }] }];
    const run = async (frameFusion?: object) => {
      const it = vlm.chat(messages, { maxTokens: 6, sampling: { temperature: 0 }, frameFusion });
      let r = await it.next();
      while (!r.done) r = await it.next();
      return r.value;
    };
    const report = () => vlm.lastFrameFusion; // (a call: assert.equal would narrow the property to null)
    const plain = await run();
    assert.equal(report(), null);
    const noop = await run({ similarity: 2, cost: 1 });
    assert.deepEqual(noop.tokens, plain.tokens, "nothing merged or pruned: the same answer");
    const span = report()!.spanRows;
    assert.ok(span > 6 * 64, "the groups, the tokens between them and the two after");
    assert.deepEqual(report(), { videoRows: 6 * 64, spanRows: span, merged: 0, pruned: 0, keptRows: span, sparsities: [] });

    const fused = await run({ cost: 0.3 });
    const rep = report()!;
    assert.ok(rep.merged + rep.pruned > 0.5 * rep.videoRows, `dropped ${rep.merged} + ${rep.pruned} of ${rep.videoRows}`);
    assert.equal(rep.keptRows, rep.spanRows - rep.merged - rep.pruned);
    assert.equal(fused.promptRows, plain.promptRows, "prompt rows count the full prompt");
    assert.equal(fused.tokens.length > 0, true);
    await assert.rejects(vlm.chat([{ role: "user", content: "no video" }], { frameFusion: true }).next(), /at least two frame groups/);
    await assert.rejects(vlm.chat(messages, { frameFusion: true, prefillHooks: {} }).next(), /cannot be combined/);
  } finally {
    await vlm.dispose();
  }
});
