/**
 * Crop embeddings against llama.cpp (tiny V4.5 fixture, F32 mmproj numerics; mmproj-f16.gguf carries the
 * exact f32 values). llama.cpp's preprocessed crops are stored for 640x488 (overview + first slice).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { LLAMACPP_45, decodeRgb, diff, mmprojModel, normalise, readF32, readJson } from "./helpers.js";

const golden = readJson(join(LLAMACPP_45, "golden.json"));
const MMPROJ = join(LLAMACPP_45, "mmproj-f16.gguf");

const stored = [
  { image: "img_640x488", chunk: 0, png: "img_640x488_00_overview.png" },
  { image: "img_640x488", chunk: 1, png: "img_640x488_01_slice.png" },
];

for (const s of stored) {
  test(`llama.cpp ${s.image} chunk ${s.chunk}: reference numerics within 3e-3, llamacpp numerics within 1e-4`, async (t) => {
    const m = await mmprojModel(MMPROJ);
    const entry = golden.image_embeddings.find((e: any) => e.image === `images/${s.image}.png`);
    const chunk = entry.chunks[s.chunk];
    const crop = normalise(await decodeRgb(join(LLAMACPP_45, "preprocessed", s.png)));
    assert.deepEqual([crop.width, crop.height], chunk.input_size);
    const ref = readF32(join(LLAMACPP_45, chunk.embd.file));
    const exact = diff(m.encode([crop]).embeddings[0], ref);
    const emulated = diff(m.encode([crop], { numerics: "llamacpp" }).embeddings[0], ref);
    t.diagnostic(`reference max abs ${exact.maxAbs.toExponential(2)}, llamacpp numerics max abs ${emulated.maxAbs.toExponential(2)}`);
    assert.ok(exact.maxAbs <= 3e-3, `reference numerics: ${exact.maxAbs}`);
    assert.ok(emulated.maxAbs <= 1e-4, `llamacpp numerics: ${emulated.maxAbs}`);
  });
}
