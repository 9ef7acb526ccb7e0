/** Logits and final hidden states against llama.cpp's goldens (text_logits) for every fixture. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { GGMLType } from "../../src/formats/gguf/ggml-types.js";
import { readGGUF } from "../../src/formats/gguf/reader.js";
import { fileSource } from "../../src/node/file-source.js";
import { argmax, fixtureDir, golden, loadModel, maxAbsDiff, readBin, VERSIONS } from "./fixtures.js";

const TOL = 1e-4;

for (const version of VERSIONS) {
  test(`minicpmv-${version} f16 file: logits and hidden at every position match the f32 golden`, async () => {
    const g = golden(version);
    const model = await loadModel(version);
    assert.equal(model.config.arch, g.model.arch);
    assert.equal(model.config.nVocab, g.model.n_vocab);
    const ref = g.text_logits.items.find((i) => i.name === "f32")!;
    const r = model.forward({ kind: "tokens", ids: g.text_logits.tokens }, model.newCache(), { logits: "all" });
    const n = g.text_logits.tokens.length;
    const dl = maxAbsDiff(r.logits!, readBin(version, ref.logits));
    const dh = maxAbsDiff(r.hidden!, readBin(version, ref.hidden!));
    console.log(`minicpmv-${version} (${model.config.arch}) f16 vs f32 golden: logits max abs ${dl.toExponential(2)}, hidden ${dh.toExponential(2)}`);
    assert.ok(dl <= TOL, `logits differ by ${dl}`);
    assert.ok(dh <= TOL, `hidden differs by ${dh}`);
    const want = readBin(version, ref.logits);
    for (let t = 0; t < n; t++) assert.equal(argmax(r.logits!, t * g.model.n_vocab, g.model.n_vocab), argmax(want, t * g.model.n_vocab, g.model.n_vocab));
  });
}

const QUANTS: [string, GGMLType][] = [["q8_0", GGMLType.Q8_0], ["q4_0", GGMLType.Q4_0], ["q4_k", GGMLType.Q4_K], ["q5_k", GGMLType.Q5_K], ["q6_k", GGMLType.Q6_K]];

for (const [name, type] of QUANTS) {
  test(`minicpmv-4.5 ${name} file (JsBackend): logits match llama.cpp's dequantized-f32 reference`, async () => {
    const g = golden("4.5");
    const bytes = await fileSource(join(fixtureDir("4.5"), `llm-${name}.gguf`));
    const file = await readGGUF(bytes);
    await bytes.close?.();
    for (const t of ["token_embd.weight", "blk.0.attn_q.weight", "blk.1.ffn_down.weight", "output.weight"]) assert.equal(file.tensor(t)!.type, type, t);
    const model = await loadModel("4.5", `llm-${name}.gguf`);
    const ref = g.text_logits.items.find((i) => i.name === name)!.dequant_f32_reference!;
    const r = model.forward({ kind: "tokens", ids: g.text_logits.tokens }, model.newCache(), { logits: "all" });
    const d = maxAbsDiff(r.logits!, readBin("4.5", ref.logits));
    console.log(`minicpmv-4.5 ${name} vs dequant_f32_reference: logits max abs ${d.toExponential(2)}`);
    assert.ok(d <= 1e-3, `logits differ by ${d}`);
  });
}
