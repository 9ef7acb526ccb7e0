/**
 * The "llamacpp" policy against llama.cpp mtmd's llava-uhd preprocessing (`preprocess` item of
 * test/fixtures/llamacpp/minicpmv-{4.5,2.5}/golden.json): sizes, grid, crop rectangles and the sha256
 * of every chunk's uint8 RGB bytes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeImageFile } from "../../src/node/image-decode.js";
import { preprocessImage } from "../../src/multimodal/image/preprocess.js";
import { fixturePath, readJson, sha256 } from "./fixtures.js";
import { toPixelValues } from "../../src/multimodal/image/pixel-values.js";

interface Chunk {
  index: number;
  kind: "overview" | "slice";
  size: [number, number];
  n_patches: number;
  u8_rgb_sha256: string;
  grid_col?: number;
  grid_row?: number;
  /** [x, y, width, height] */
  crop_in_refined?: [number, number, number, number];
  u8_png?: string;
}
interface Item {
  image: string;
  original_size: [number, number];
  overview_size: [number, number];
  refined_size: [number, number];
  grid: [number, number];
  n_slices: number;
  chunks: Chunk[];
}

for (const fixture of ["minicpmv-4.5", "minicpmv-2.5"]) {
  const golden = readJson("llamacpp", fixture, "golden.json");
  const items: Item[] = golden.preprocess.items;
  const hp = golden.preprocess.hparams;

  test(`llamacpp policy reproduces ${fixture} preprocess for all ${items.length} images byte for byte`, async () => {
    assert.ok(items.length >= 5);
    let chunks = 0;
    for (const it of items) {
      const img = await decodeImageFile(fixturePath("llamacpp", fixture, it.image), { flavour: "llamacpp" });
      assert.deepEqual([img.width, img.height], it.original_size, it.image);
      const out = preprocessImage(img, {
        policy: "llamacpp",
        maxSliceNums: hp.max_slice_nums,
        scaleResolution: hp.image_size,
        patchSize: hp.patch_size,
      });
      assert.deepEqual(out.original, it.original_size);
      assert.deepEqual(out.overview, it.overview_size, `${it.image} overview`);
      assert.deepEqual(out.refined ?? [0, 0], it.refined_size, `${it.image} refined`);
      assert.deepEqual(out.grid ?? [0, 0], it.grid, `${it.image} grid`);
      assert.equal(out.crops.length, it.chunks.length, `${it.image} chunk count`);
      assert.equal(out.crops.length - 1, it.n_slices);
      out.crops.forEach((crop, i) => {
        const g = it.chunks[i];
        const label = `${it.image} chunk ${i}`;
        assert.equal(crop.kind, g.kind, label);
        assert.deepEqual([crop.image.width, crop.image.height], g.size, `${label} size`);
        assert.equal((crop.image.width / 14) * (crop.image.height / 14), g.n_patches, `${label} patches`);
        if (g.kind === "slice") {
          const [x, y, w, h] = g.crop_in_refined!;
          assert.deepEqual([crop.col, crop.row], [g.grid_col, g.grid_row], `${label} grid position`);
          assert.deepEqual(crop.box, [x, y, x + w, y + h], `${label} crop`);
        }
        assert.equal(sha256(crop.image.data), g.u8_rgb_sha256, `${label} u8 sha256`);
        chunks++;
      });
    }
    console.log(`# ${fixture}: ${chunks} llama.cpp chunks byte-exact`);
  });
}

test("llama.cpp's preprocessed PNG dumps equal our crops pixel for pixel", async () => {
  const items: Item[] = readJson("llamacpp", "minicpmv-4.5", "golden.json").preprocess.items;
  let n = 0;
  for (const it of items) {
    const dumps = it.chunks.filter((c) => c.u8_png);
    if (dumps.length === 0) continue;
    const out = preprocessImage(await decodeImageFile(fixturePath("llamacpp", "minicpmv-4.5", it.image), { flavour: "llamacpp" }), { policy: "llamacpp" });
    for (const c of dumps) {
      const png = await decodeImageFile(fixturePath("llamacpp", "minicpmv-4.5", c.u8_png!), { flavour: "llamacpp" });
      assert.deepEqual(out.crops[c.index].image.data, png.data, c.u8_png);
      n++;
    }
  }
  assert.ok(n >= 3);
});

test("llama.cpp normalisation is the same float32 chain ((u/255 - 0.5) / 0.5)", () => {
  const img = { width: 256, height: 1, data: new Uint8Array(768) };
  for (let i = 0; i < 256; i++) img.data.fill(i, i * 3, i * 3 + 3);
  const px = toPixelValues(img);
  for (let u = 0; u < 256; u++) {
    const f = Math.fround;
    assert.equal(px[u], f(f(f(u / 255) - 0.5) / 0.5));
  }
  assert.equal(px[0], -1);
  assert.equal(px[255], 1);
});
