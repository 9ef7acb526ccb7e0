/**
 * The embedding-row input path against llama.cpp's multimodal goldens: the prompt's text chunks as
 * token ids and its image chunks as llama.cpp's own projector outputs, then 16 greedy steps.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { argmax, golden, loadModel, maxAbsDiff, readBin } from "./fixtures.js";

interface Chunk { type: "text" | "image"; pos_start: number; n_pos: number; tokens?: number[]; embd_file?: string }
interface MultimodalItem {
  image: string;
  chunks: Chunk[];
  generation: { tokens: number[]; step_logits: { file: string; shape: number[] } };
}

for (const version of ["4.5", "2.5"]) {
  for (const image of ["img_300x200", "img_640x488"]) {
    test(`minicpmv-${version} ${image}: greedy continuation from llama.cpp's image embeddings matches its tokens and step logits`, async () => {
      const g = golden(version) as unknown as { multimodal: MultimodalItem[]; model: { n_vocab: number; llm: { n_embd: number } } };
      const item = g.multimodal.find((m) => m.image === `images/${image}.png`)!;
      const model = await loadModel(version);
      const cache = model.newCache();
      const nV = g.model.n_vocab;
      let logits: Float32Array | undefined;
      for (const c of item.chunks) {
        assert.equal(cache.nextPosition, c.pos_start);
        const input = c.type === "text"
          ? { kind: "tokens" as const, ids: c.tokens! }
          : { kind: "embeddings" as const, rows: readBin(version, { file: c.embd_file!, shape: [c.n_pos, g.model.llm.n_embd] }), n: c.n_pos };
        logits = model.forward(input, cache, { chunkSize: 64 }).logits;
      }
      const want = readBin(version, item.generation.step_logits);
      const got: number[] = [];
      let worst = 0;
      for (let i = 0; i < item.generation.tokens.length; i++) {
        worst = Math.max(worst, maxAbsDiff(logits!, want.subarray(i * nV, (i + 1) * nV)));
        const id = argmax(logits!);
        got.push(id);
        logits = model.forward({ kind: "tokens", ids: [id] }, cache).logits;
      }
      console.log(`minicpmv-${version} ${image}: step logits max abs ${worst.toExponential(2)} over ${got.length} steps`);
      assert.deepEqual(got, item.generation.tokens);
      assert.ok(worst <= 1e-4, `step logits differ by ${worst}`);
    });
  }
}
