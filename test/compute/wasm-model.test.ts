import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createBackend } from "../../src/node/load-llm.js";
import { readGGUF } from "../../src/formats/gguf/reader.js";
import { loadLanguageModel } from "../../src/models/llm/load.js";
import { modelSourceFromGGUF } from "../../src/models/model-source.js";
import { fileSource } from "../../src/node/file-source.js";
import { argmax, fixtureDir, golden, readBin } from "../llm/fixtures.js";

// The tiny MiniCPM-V 4.5 LLM fixtures run end to end on the WebAssembly backend, reached the way the
// CLI reaches it (createBackend({ backend: "wasm" })), against llama.cpp's references: the f32 logits
// for the f16 file, the dequantized-f32 ones for quantized files. Those keep activations in f32 while
// the integer kernels quantize them to int8 (as llama.cpp's CPU path does), so the bounds there are
// those of int8 activations: mean and max error relative to the logit scale, top-1 mostly agreeing
// (this random tiny model has near-ties).
const CASES: [file: string, item: string, mean: number, max: number, top1: number][] = [
  ["llm-f16.gguf", "f32", 1e-6, 1e-5, 24],
  ["llm-q8_0.gguf", "q8_0", 1e-2, 4e-2, 21],
  ["llm-q4_0.gguf", "q4_0", 1e-2, 4e-2, 21],
  ["llm-q4_k.gguf", "q4_k", 1e-2, 4e-2, 21],
  ["llm-q5_k.gguf", "q5_k", 1e-2, 4e-2, 21],
  ["llm-q6_k.gguf", "q6_k", 1e-2, 4e-2, 21],
];

describe("WasmBackend under the language model", () => {
  for (const [file, item, meanTol, maxTol, top1] of CASES) {
    it(`${file}: logits at every position close to llama.cpp's`, async () => {
      const g = golden("4.5");
      const ref = g.text_logits.items.find((i) => i.name === item)!;
      const want = readBin("4.5", item === "f32" ? ref.logits : ref.dequant_f32_reference!.logits);
      const bytes = await fileSource(join(fixtureDir("4.5"), file));
      const backend = await createBackend({ backend: "wasm", threads: 2 });
      assert.equal(backend.name, "wasm");
      try {
        const model = await loadLanguageModel(modelSourceFromGGUF(await readGGUF(bytes)), backend);
        const r = model.forward({ kind: "tokens", ids: g.text_logits.tokens }, model.newCache(), { logits: "all" });
        const logits = r.logits!;
        let scale = 0, max = 0, sum = 0;
        for (let i = 0; i < want.length; i++) {
          const d = Math.abs(logits[i] - want[i]);
          scale = Math.max(scale, Math.abs(want[i]));
          max = Math.max(max, d);
          sum += d;
        }
        const mean = sum / want.length;
        const V = g.model.n_vocab;
        const T = g.text_logits.tokens.length;
        let agree = 0;
        for (let t = 0; t < T; t++) if (argmax(logits, t * V, V) === argmax(want, t * V, V)) agree++;
        console.log(`${file}: |Δlogit| mean ${mean.toExponential(2)} max ${max.toExponential(2)} (scale ${scale.toFixed(2)}), top-1 ${agree}/${T}`);
        assert.ok(mean <= meanTol * scale, `mean error ${mean}`);
        assert.ok(max <= maxTol * scale, `max error ${max}`);
        assert.ok(agree >= top1, `top-1 agrees at ${agree} of ${T} positions`);
      } finally {
        await backend.dispose();
        await bytes.close?.();
      }
    });
  }
});
