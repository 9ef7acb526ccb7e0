import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { SinCos2d, SinCosTemporal } from "../../src/models/vision/sincos.js";
import { diff, HF, readF32, readJson } from "./helpers.js";

const golden = readJson(join(HF, "golden.json")).resampler_sincos;
const D = golden.embed_dim as number;
// numpy's float32 power (SIMD) is 1-2 ulp off the correctly rounded 10000^x for some k, which moves
// f32(p·ω) by an ulp or two: ~2e-6 at p = 69, ~7e-3 at t = 71999 (where an ulp of θ is 0.0078).
const TOL = 3e-6;

test("2-D sin-cos: the authors' corner [0..3, 0..3] and (69, 69)", () => {
  const s = new SinCos2d(D);
  const corner = readF32(join(HF, golden.pos_embed_2d_corner_4x4.file));
  const d = diff(s.table(4, 4), corner);
  assert.ok(d.maxAbs <= TOL, `corner max abs ${d.maxAbs}`);
  const t = s.table(70, 70);
  const last = t.subarray((69 * 70 + 69) * D, (69 * 70 + 70) * D);
  const d2 = diff(last, Float32Array.from(golden.pos_embed_2d_69_69));
  assert.ok(d2.maxAbs <= TOL, `(69,69) max abs ${d2.maxAbs}`);
  // first half follows the column, second half the row
  const row0col1 = t.subarray(D, 2 * D);
  assert.equal(row0col1[D / 2], 0); // sin(0 · ω0) for the row half
  assert.notEqual(row0col1[0], 0);
});

test("2-D sin-cos grows past 70 with true indices (strips)", () => {
  const s = new SinCos2d(D);
  const wide = s.table(5, 200);
  const ref = new SinCos2d(D).table(200, 200);
  for (const [y, x] of [[0, 0], [4, 199], [3, 150]]) {
    assert.deepEqual(wide.subarray((y * 200 + x) * D, (y * 200 + x + 1) * D), ref.subarray((y * 200 + x) * D, (y * 200 + x + 1) * D));
  }
});

test("temporal sin-cos: rows 0..7 and 71999", () => {
  const s = new SinCosTemporal(D);
  const rows = readF32(join(HF, golden.temporal_pos_embed_rows_0_to_7.file));
  for (let t = 0; t < 8; t++) {
    const d = diff(s.code(t), rows.subarray(t * D, (t + 1) * D));
    assert.ok(d.maxAbs <= TOL, `t=${t} max abs ${d.maxAbs}`);
  }
  const d = diff(s.code(71999), Float32Array.from(golden.temporal_pos_embed_row_71999));
  assert.ok(d.maxAbs <= 1e-2, `t=71999 max abs ${d.maxAbs}`);
});
