import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { GGUFMetadata, readGGUF } from "../../src/formats/gguf/reader.js";
import { Tokenizer } from "../../src/formats/tokenizer/index.js";
import { bytesSource } from "../../src/io/byte-source.js";
import { goldenHex, hex } from "./helpers.js";

/** llama.cpp goldens for SentencePiece ("llama") vocabularies: see test/fixtures/spm/README.md. */
const DIR = new URL("../fixtures/spm/", import.meta.url);
const golden = JSON.parse(readFileSync(new URL("golden.json", DIR), "utf8"));

const loaded = new Map<string, { tok: Tokenizer; bytes: Uint8Array }>();
for (const set of golden.sets) {
  const bytes: Uint8Array = readFileSync(new URL(set.file, DIR));
  loaded.set(set.file, { tok: Tokenizer.fromMetadata(GGUFMetadata.of(await readGGUF(bytesSource(set.file, bytes)))), bytes });
}
const { test } = await import("node:test");

const DETOK = [
  ["remove_special_false_unparse_special_false", false, false],
  ["remove_special_false_unparse_special_true", false, true],
  ["remove_special_true_unparse_special_false", true, false],
  ["remove_special_true_unparse_special_true", true, true],
] as const;

function detokFailures(tok: Tokenizer, ids: number[], expected: Record<string, { text?: string; hex?: string }>, what: string): string[] {
  const out: string[] = [];
  for (const [key, removeSpecial, unparseSpecial] of DETOK) {
    const got = hex(tok.decodeBytes(ids, { removeSpecial, unparseSpecial }));
    if (got !== goldenHex(expected[key])) {
      out.push(`${what}: detokenize(${removeSpecial}, ${unparseSpecial}) ${JSON.stringify(tok.decode(ids, { removeSpecial, unparseSpecial }))} != ${JSON.stringify(expected[key])}`);
    }
  }
  return out;
}

for (const set of golden.sets) {
  const name = set.file as string;

  test(`${name}: the file is the one the goldens were made from`, () => {
    const { bytes } = loaded.get(name)!;
    assert.equal(createHash("sha256").update(bytes).digest("hex"), golden.files[name].sha256);
  });

  test(`${name}: special ids, flags and per-token attributes as llama.cpp loads them`, () => {
    const { tok } = loaded.get(name)!;
    const v = set.vocab;
    const orNull = (x: number) => (x < 0 ? null : x);
    assert.equal(tok.model, "llama");
    assert.equal(tok.preTokenizer, "default");
    assert.equal(tok.nTokens, v.n_tokens);
    assert.equal(tok.special.bos, orNull(v.bos));
    assert.equal(tok.special.eos, orNull(v.eos));
    assert.equal(tok.special.eot, orNull(v.eot));
    assert.equal(tok.special.sep, orNull(v.sep));
    assert.equal(tok.special.nl, orNull(v.nl));
    assert.equal(tok.special.pad, orNull(v.pad));
    assert.equal(tok.special.mask, orNull(v.mask));
    assert.equal(tok.addBos, v.add_bos);
    assert.equal(tok.addEos, v.add_eos);
    const t = set.tokens;
    assert.deepEqual(tok.eogIds, t.eog_ids);
    for (let id = 0; id < v.n_tokens; id++) {
      assert.equal(hex(new TextEncoder().encode(tok.tokenText(id))), t.texts_hex[id], `text of ${id}`);
      assert.equal(tok.isEog(id), t.eog_ids.includes(id), `isEog(${id})`);
      // isControl covers llama.cpp's control and unknown attributes (what token_to_piece hides)
      assert.equal(tok.isControl(id), (t.attrs[id] & (1 | 8)) !== 0, `isControl(${id})`);
    }
  });

  test(`${name}: llama_token_to_piece of every token (special = true and false)`, () => {
    const { tok } = loaded.get(name)!;
    const failures: string[] = [];
    for (let id = 0; id < set.vocab.n_tokens; id++) {
      const p1 = hex(tok.tokenToPiece(id, true)), p0 = hex(tok.tokenToPiece(id, false));
      if (p1 !== set.tokens.pieces_hex[id]) failures.push(`${id} special=true: ${p1} != ${set.tokens.pieces_hex[id]}`);
      if (p0 !== set.tokens.pieces_special_false_hex[id]) failures.push(`${id} special=false: ${p0} != ${set.tokens.pieces_special_false_hex[id]}`);
    }
    assert.deepEqual(failures, []);
  });

  test(`${name}: llama_tokenize ids and llama_detokenize text, all flag combinations`, () => {
    const { tok } = loaded.get(name)!;
    const failures: string[] = [];
    for (const c of set.cases) {
      const what = `${JSON.stringify(c.text)} add_special=${c.add_special} parse_special=${c.parse_special}`;
      const ids = tok.encode(c.text, { addSpecial: c.add_special, parseSpecial: c.parse_special });
      if (JSON.stringify(ids) !== JSON.stringify(c.ids)) {
        failures.push(`${what}: ids ${JSON.stringify(ids)} != ${JSON.stringify(c.ids)}`);
        continue;
      }
      failures.push(...detokFailures(tok, c.ids, c.detokenize, what));
    }
    assert.deepEqual(failures, [], `${failures.length} failures in ${set.cases.length} cases`);
    assert.ok(set.cases.length >= 160);
  });

  test(`${name}: llama_detokenize of hand-picked id sequences`, () => {
    const { tok } = loaded.get(name)!;
    const failures: string[] = [];
    for (const c of set.decode_cases) {
      const what = JSON.stringify(c.ids);
      const pieces = c.ids.map((id: number) => hex(tok.tokenToPiece(id, true)));
      if (JSON.stringify(pieces) !== JSON.stringify(c.pieces_hex)) failures.push(`${what}: pieces ${JSON.stringify(pieces)}`);
      failures.push(...detokFailures(tok, c.ids, c.detokenize, what));
    }
    assert.deepEqual(failures, []);
  });
}
