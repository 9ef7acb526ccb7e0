import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { GGUFMetadata, readGGUF } from "../../src/formats/gguf/reader.js";
import { Tokenizer } from "../../src/formats/tokenizer/index.js";
import { bytesSource } from "../../src/io/byte-source.js";
import { Rng } from "../../src/runtime/rng.js";
import { createJsonConstraint } from "../../src/runtime/constraints/json-constraint.js";
import { constraintVocabOf } from "../../src/runtime/constraints/tokenizer-vocab.js";
import { validator } from "./ajv.js";

// Read the GGUF before node:test is loaded (its promise tracking slows the reader down a lot).
const file = new URL("../fixtures/llamacpp/vocab-qwen3/vocab-qwen3.gguf.gz", import.meta.url);
const tok = Tokenizer.fromMetadata(GGUFMetadata.of(await readGGUF(bytesSource("vocab-qwen3.gguf", gunzipSync(readFileSync(file))))));
const { test } = await import("node:test");

const SCHEMA = {
  type: "object",
  properties: {
    caption: { type: "string" },
    objects: {
      type: "array",
      items: {
        type: "object",
        properties: { label: { type: "string" }, count: { type: "integer" }, color: { enum: ["red", "green", "blue", "other"] } },
        required: ["label", "count", "color"],
        additionalProperties: false,
      },
    },
    text_in_image: { type: ["string", "null"] },
    confidence: { type: "number" },
  },
  required: ["caption", "objects", "text_in_image", "confidence"],
  additionalProperties: false,
};

const ANSWER = `{
  "caption": "Three red circles and a blue square on a whiteboard — 白板上有三个红色的圆 🔴",
  "objects": [
    {"label": "circle", "count": 3, "color": "red"},
    {"label": "square \\"big\\"", "count": 1, "color": "blue"}
  ],
  "text_in_image": null,
  "confidence": 0.92
}`;

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
const summary = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return `n=${s.length} median ${q(0.5).toFixed(3)} p95 ${q(0.95).toFixed(3)} max ${s[s.length - 1].toFixed(3)} ms`;
};

test("Qwen3 vocabulary (151k tokens): every token of a real JSON answer is allowed; mask timings", (t) => {
  const vocab = constraintVocabOf(tok);
  const t0 = performance.now();
  const c = createJsonConstraint(vocab, SCHEMA);
  t.diagnostic(`trie build for ${vocab.size} tokens: ${(performance.now() - t0).toFixed(0)} ms`);
  const ids = tok.encode(ANSWER, { addSpecial: false });
  const wall: number[] = [], cpu: number[] = [];
  for (const id of ids) {
    const u = process.cpuUsage();
    const w = performance.now();
    const mask = c.allowedMask();
    wall.push(performance.now() - w);
    cpu.push(cpuMs(process.cpuUsage(u)));
    assert.equal(mask[id], 1, `token ${id} ${JSON.stringify(tok.decode([id]))} refused after ${JSON.stringify(tok.decode(ids.slice(0, ids.indexOf(id))))}`);
    assert.ok(!c.complete);
    c.accept(id);
  }
  assert.ok(c.complete);
  assert.ok(validator(SCHEMA)(JSON.parse(ANSWER)));
  t.diagnostic(`mask per step over ${ids.length} answer tokens, wall: ${summary(wall)}`);
  t.diagnostic(`mask per step over ${ids.length} answer tokens, cpu:  ${summary(cpu)}`);
});

test("Qwen3 vocabulary: adversarial token choices still end in valid JSON", () => {
  const vocab = constraintVocabOf(tok);
  const valid = validator(SCHEMA);
  const finish = [...'"}]0,'].map((ch) => tok.encode(ch, { addSpecial: false })[0]);
  const rng = new Rng(11);
  for (let r = 0; r < 8; r++) {
    const c = createJsonConstraint(vocab, SCHEMA);
    const out: number[] = [];
    for (let step = 0; step < 2000 && !c.complete; step++) {
      const m = c.allowedMask();
      let id = -1;
      if (step > 60 || rng.next() < 0.2) id = vocab.eogIds.find((e) => m[e]) ?? finish.find((f) => m[f]) ?? -1;
      if (id < 0) {
        const allowed: number[] = [];
        for (let i = 0; i < m.length; i++) if (m[i]) allowed.push(i);
        assert.ok(allowed.length > 0, "dead end");
        id = allowed[Math.floor(rng.next() * allowed.length)];
      }
      c.accept(id);
      if (!vocab.eogIds.includes(id)) out.push(id);
    }
    assert.ok(c.complete);
    const text = new TextDecoder("utf-8", { fatal: true }).decode(tok.decodeBytes(out));
    assert.ok(valid(JSON.parse(text)), text);
  }
});
