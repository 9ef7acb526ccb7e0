import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { imagePlaceholder, placeholderText } from "../../src/multimodal/placeholder.js";

const golden = JSON.parse(readFileSync("test/fixtures/hf/golden.json", "utf8"));
const cases = new Map<string, { grid: [number, number] | null }>();
for (const c of golden.image_processing.cases) cases.set(`${c.image}/${c.max_slice_nums}`, c);

test("placeholders equal the authors' get_slice_image_placeholder for every image and option", () => {
  let n = 0;
  for (const e of golden.placeholders.entries) {
    if (e.version === 2.5) continue;
    const c = cases.get(`${e.image}/${e.max_slice_nums}`);
    assert.ok(c, `no processing case for ${e.image}/${e.max_slice_nums}`);
    const pieces = imagePlaceholder(c.grid, { schema: "v2.6", imageId: e.use_image_id ? e.image_idx : null });
    assert.equal(placeholderText(pieces, golden.placeholders.image_feature_size), e.placeholder, `${e.image} msn=${e.max_slice_nums} id=${e.use_image_id}`);
    n++;
  }
  assert.ok(n > 20);
});

test("the 2.5 placeholder nests slices in <image> inside one <slice>", () => {
  const v25 = golden.placeholders.entries.filter((e: { version?: number }) => e.version === 2.5);
  assert.ok(v25.length > 0);
  for (const e of v25) {
    const c = cases.get(`${e.image}/${e.max_slice_nums}`);
    assert.ok(c);
    assert.equal(placeholderText(imagePlaceholder(c.grid, { schema: "v2.5" }), e.image_feature_size), e.placeholder, e.image);
  }
});

test("llama.cpp style drops <image_id>", () => {
  const t = placeholderText(imagePlaceholder([2, 1], { schema: "v2.6", style: "llamacpp", imageId: 0 }), 1, "U");
  assert.equal(t, "<image>U</image><slice>U</slice><slice>U</slice>");
});
