/**
 * Crop embeddings against llama.cpp (tiny V4.5 fixture, F32 mmproj numerics; mmproj-f16.gguf carries the
 * exact f32 values): the reference numerics within 3e-3, the llamacpp numerics within 1e-4.
 * llama.cpp's own crops are stored for 640x488 (overview + first slice); every chunk of every image also
 * goes through the llama.cpp preprocessing policy of src/multimodal/image/.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import type { VisionCrop } from "../../src/models/vision/siglip.js";
import { LLAMACPP_45, cropFromFile, diff, mmprojModel, preprocess, readF32, readJson } from "./helpers.js";

const golden = readJson(join(LLAMACPP_45, "golden.json"));
const MMPROJ = join(LLAMACPP_45, "mmproj-f16.gguf");
const TOL_REFERENCE = 3e-3;
const TOL_EMULATED = 1e-4;

function entry(image: string): any {
  return golden.image_embeddings.find((e: any) => e.image === `images/${image}.png`);
}

async function check(t: { diagnostic(m: string): void }, image: string, crops: readonly VisionCrop[], chunks: number[]): Promise<void> {
  const m = await mmprojModel(MMPROJ);
  const e = entry(image);
  const exact = m.encode(crops).embeddings;
  const emulated = m.encode(crops, { numerics: "llamacpp" }).embeddings;
  chunks.forEach((chunk, i) => {
    const ref = readF32(join(LLAMACPP_45, e.chunks[chunk].embd.file));
    assert.deepEqual([crops[i].width, crops[i].height], e.chunks[chunk].input_size);
    const a = diff(exact[i], ref);
    const b = diff(emulated[i], ref);
    t.diagnostic(`${image} chunk ${chunk}: reference max abs ${a.maxAbs.toExponential(2)}, llamacpp numerics ${b.maxAbs.toExponential(2)}`);
    assert.ok(a.maxAbs <= TOL_REFERENCE, `chunk ${chunk} reference numerics: ${a.maxAbs}`);
    assert.ok(b.maxAbs <= TOL_EMULATED, `chunk ${chunk} llamacpp numerics: ${b.maxAbs}`);
  });
}

test("img_640x488 from llama.cpp's stored crops (overview, first slice)", async (t) => {
  const crops = [];
  for (const png of ["img_640x488_00_overview.png", "img_640x488_01_slice.png"]) {
    crops.push(await cropFromFile(join(LLAMACPP_45, "preprocessed", png), "llamacpp"));
  }
  await check(t, "img_640x488", crops, [0, 1]);
});

for (const e of golden.image_embeddings as any[]) {
  const image = /images\/(.*)\.png$/.exec(e.image)![1];
  test(`${image}: every chunk through the llamacpp preprocessing`, async (t) => {
    const crops = await preprocess(join(LLAMACPP_45, e.image), "llamacpp");
    assert.equal(crops.length, e.chunks.length);
    await check(t, image, crops, e.chunks.map((_: unknown, i: number) => i));
  });
}
