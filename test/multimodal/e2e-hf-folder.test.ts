/**
 * The authors' Hugging Face folder and llama.cpp's GGUF pair of the same tiny models open as the same
 * MiniCPMV: tokenizer metadata as the converter writes it, equal prompts, bitwise-equal image rows and
 * logits, and the greedy tokens of llama.cpp's goldens.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { readGGUF } from "../../src/formats/gguf/reader.js";
import { openHfVlmFolder } from "../../src/formats/hf/vlm-folder.js";
import { decodeImageFile } from "../../src/node/image-decode.js";
import { fileSource } from "../../src/node/file-source.js";
import { folderReader } from "../../src/node/folder-reader.js";
import { openVlm, type OpenedVlm } from "../../src/node/open-vlm.js";
import type { ChatOptions } from "../../src/multimodal/vlm.js";
import { feedPrompt, generateAll } from "../../src/runtime/generation.js";
import { writeAuthorsFolder } from "../formats/authors-folder.js";

for (const version of ["4.5", "2.5"]) {
  const fx = `test/fixtures/llamacpp/minicpmv-${version}`;
  const golden = JSON.parse(readFileSync(`${fx}/golden.json`, "utf8"));

  test(`MiniCPM-V ${version}: the authors' folder opens as the same model as the GGUF pair`, async (t) => {
    const dir = await writeAuthorsFolder(version);
    const opened: OpenedVlm[] = [];
    try {
      // the folder's tokenizer.* metadata is the LLM GGUF's
      const gguf = await readGGUF(await fileSource(`${fx}/llm-f16.gguf`));
      const hf = await openHfVlmFolder(await folderReader(dir));
      for (const [k, e] of gguf.metadata) if (k.startsWith("tokenizer.")) assert.deepEqual(hf.llm.meta.entries.get(k), e, k);
      assert.deepEqual([...hf.llm.meta.entries.keys()].filter((k) => k.startsWith("tokenizer.")).sort(), [...gguf.metadata.keys()].filter((k) => k.startsWith("tokenizer.")).sort());
      await hf.close();
      await gguf.source.close?.();

      const folder = await openVlm({ model: dir, backend: "js" });
      opened.push(folder);
      const pair = await openVlm({ model: `${fx}/llm-f16.gguf`, mmproj: `${fx}/mmproj-f16.gguf`, backend: "js" });
      opened.push(pair);
      assert.deepEqual(folder.paths, { model: dir, mmproj: dir });
      assert.deepEqual(folder.llm.config, pair.llm.config);
      assert.deepEqual(folder.vision.config, pair.vision.config);
      assert.equal(folder.chatTemplate, pair.chatTemplate);

      const question = golden.chat.user_content.replace("<__media__>", "");
      const llamacpp: ChatOptions = { preprocess: "llamacpp", style: "llamacpp", numerics: "llamacpp" };
      const runs: [any, ChatOptions][] = [[golden.multimodal[0], llamacpp], [golden.multimodal[2], llamacpp], [golden.multimodal[2], { style: "authors" }]];
      for (const [item, opts] of runs) {
        const label = `${item.image} (${opts.style})`;
        const image = await decodeImageFile(`${fx}/${item.image}`, { flavour: opts.style === "llamacpp" ? "llamacpp" : "pil" });
        const messages = [{ role: "user" as const, content: [{ type: "image" as const, image }, { type: "text" as const, text: question }] }];
        const a = await folder.prompt(messages, opts);
        const b = await pair.prompt(messages, opts);
        assert.deepEqual(a.segments, b.segments, `${label}: prompt ids and image rows`);
        const la = await feedPrompt(folder.llm, folder.llm.newCache(), a.segments);
        const lb = await feedPrompt(pair.llm, pair.llm.newCache(), b.segments);
        assert.deepEqual(la, lb, `${label}: logits`);
        const greedy = { maxTokens: 16, ignoreEos: true, sampling: { temperature: 0 } };
        const ra = await generateAll(folder.llm, folder.llm.newCache(), a.segments, folder.tokenizer, greedy);
        const rb = await generateAll(pair.llm, pair.llm.newCache(), b.segments, pair.tokenizer, greedy);
        assert.deepEqual(ra.tokens, rb.tokens, `${label}: greedy tokens`);
        assert.equal(ra.text, rb.text);
        if (opts.style === "llamacpp") assert.deepEqual(ra.tokens, item.generation.tokens, `${label}: llama.cpp's greedy tokens`);
        t.diagnostic(`${label}: ${a.segments.length} segments, tokens ${ra.tokens.join(" ")}`);
      }
    } finally {
      for (const v of opened) await v.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test("mixed sources: a folder's LLM with an mmproj GGUF, a GGUF LLM with a folder's vision side", async () => {
  const fx = "test/fixtures/llamacpp/minicpmv-4.5";
  const dir = await writeAuthorsFolder("4.5");
  const opened: OpenedVlm[] = [];
  try {
    const pair = await openVlm({ model: `${fx}/llm-f16.gguf`, mmproj: `${fx}/mmproj-f16.gguf`, backend: "js" });
    opened.push(pair);
    const image = await decodeImageFile(`${fx}/images/img_300x200.png`, { flavour: "llamacpp" });
    const messages = [{ role: "user" as const, content: [{ type: "image" as const, image }, { type: "text" as const, text: "What is in the image?" }] }];
    const opts: ChatOptions = { preprocess: "llamacpp", style: "llamacpp", numerics: "llamacpp" };
    const want = await pair.prompt(messages, opts);
    for (const [model, mmproj] of [[dir, `${fx}/mmproj-f16.gguf`], [`${fx}/llm-f16.gguf`, dir]]) {
      const vlm = await openVlm({ model, mmproj, backend: "js" });
      opened.push(vlm);
      assert.deepEqual(vlm.paths, { model, mmproj });
      assert.deepEqual((await vlm.prompt(messages, opts)).segments, want.segments, `${model} + ${mmproj}`);
    }
  } finally {
    for (const v of opened) await v.dispose();
    await rm(dir, { recursive: true, force: true });
  }
});
