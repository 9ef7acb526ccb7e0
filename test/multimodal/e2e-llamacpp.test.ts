import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { openVlm } from "../../src/node/open-vlm.js";
import { decodeImageFile } from "../../src/node/image-decode.js";
import { generateAll } from "../../src/runtime/generation.js";

// End to end in llama.cpp mode on the tiny GGUF pairs: prompt layout (text ids, image chunk positions)
// and 16 greedy tokens equal llama.cpp's goldens (mtmd_tokenize + mtmd_helper_eval_chunks).
for (const version of ["4.5", "2.5"]) {
  const dir = `test/fixtures/llamacpp/minicpmv-${version}`;
  const golden = JSON.parse(readFileSync(`${dir}/golden.json`, "utf8"));
  test(`MiniCPM-V ${version}: llama.cpp layout and greedy tokens for every image`, async () => {
    const vlm = await openVlm({ model: `${dir}/llm-f16.gguf`, mmproj: `${dir}/mmproj-f16.gguf`, backend: "js" });
    try {
      for (const item of golden.multimodal) {
        const image = await decodeImageFile(`${dir}/${item.image}`, { flavour: "llamacpp" });
        const question = golden.chat.user_content.replace("<__media__>", "");
        const messages = [{ role: "user" as const, content: [{ type: "image" as const, image }, { type: "text" as const, text: question }] }];
        const opts = { preprocess: "llamacpp" as const, style: "llamacpp" as const, numerics: "llamacpp" as const };
        const layout = await vlm.prompt(messages, opts);
        const ours = layout.segments.map((s) => (s.kind === "tokens" ? { type: "text", tokens: [...s.ids] } : { type: "image", n: s.n }));
        const theirs = item.chunks.map((c: { type: string; tokens?: number[]; n_tokens: number }) => (c.type === "text" ? { type: "text", tokens: c.tokens } : { type: "image", n: c.n_tokens }));
        assert.deepEqual(ours, theirs, `${item.image}: chunk layout`);
        const r = await generateAll(vlm.llm, vlm.llm.newCache(), layout.segments, vlm.tokenizer, { maxTokens: 16, ignoreEos: true, sampling: { temperature: 0 } });
        assert.deepEqual(r.tokens, item.generation.tokens, `${item.image}: greedy tokens`);
      }
    } finally {
      await vlm.dispose();
    }
  });
}
