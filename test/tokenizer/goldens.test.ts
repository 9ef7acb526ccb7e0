import assert from "node:assert/strict";
import { goldenHex, hex, loadTokenizer, readGolden } from "./helpers.js";

/** Every llama.cpp tokenization golden: ids, pieces and both detokenizations, for each flag combination. */
const SETS = [
  { dir: "minicpmv-4.5", file: "minicpmv-4.5/llm-f16.gguf" },
  { dir: "minicpmv-2.5", file: "minicpmv-2.5/llm-f16.gguf" },
  { dir: "vocab-qwen3", file: "vocab-qwen3/vocab-qwen3.gguf.gz" },
  { dir: "vocab-llama3", file: "vocab-llama3/vocab-llama3.gguf.gz" },
];

// Read the GGUFs before node:test is loaded: its promise tracking makes the reader ~10x slower.
await Promise.all(SETS.map((s) => loadTokenizer(s.file)));
const { test } = await import("node:test");

for (const { dir, file } of SETS) {
  test(`${dir}: llama.cpp tokenization goldens`, async () => {
    const golden = readGolden(dir).tokenization;
    const tok = await loadTokenizer(file);
    const failures: string[] = [];
    for (const c of golden.cases) {
      const what = `${JSON.stringify(c.text)} add_special=${c.add_special} parse_special=${c.parse_special}`;
      const ids = tok.encode(c.text, { addSpecial: c.add_special, parseSpecial: c.parse_special });
      if (JSON.stringify(ids) !== JSON.stringify(c.ids)) {
        failures.push(`${what}: ids ${JSON.stringify(ids)} != ${JSON.stringify(c.ids)}`);
        continue;
      }
      const pieces = c.ids.map((id: number) => hex(tok.tokenToPiece(id, true)));
      if (JSON.stringify(pieces) !== JSON.stringify(c.pieces_hex)) failures.push(`${what}: pieces differ`);
      const d1 = hex(tok.decodeBytes(c.ids, { removeSpecial: false, unparseSpecial: true }));
      if (d1 !== goldenHex(c.detokenize.remove_special_false_unparse_special_true)) {
        failures.push(`${what}: detokenize(false, true) ${JSON.stringify(tok.decode(c.ids, { unparseSpecial: true }))}`);
      }
      const d2 = hex(tok.decodeBytes(c.ids, { removeSpecial: true, unparseSpecial: false }));
      if (d2 !== goldenHex(c.detokenize.remove_special_true_unparse_special_false)) {
        failures.push(`${what}: detokenize(true, false) ${JSON.stringify(tok.decode(c.ids, { removeSpecial: true }))}`);
      }
    }
    assert.deepEqual(failures, [], `${failures.length} of ${golden.cases.length} cases fail`);
  });

  test(`${dir}: special ids and flags`, async () => {
    const v = readGolden(dir).tokenization.vocab;
    const tok = await loadTokenizer(file);
    const orNull = (x: number) => (x < 0 ? null : x);
    assert.equal(tok.nTokens, v.n_tokens);
    assert.equal(tok.special.bos, orNull(v.bos));
    assert.equal(tok.special.eos, orNull(v.eos));
    assert.equal(tok.special.nl, orNull(v.nl));
    assert.equal(tok.special.pad, orNull(v.pad));
    assert.equal(tok.addBos, v.add_bos);
    assert.equal(tok.addEos, v.add_eos);
  });
}
