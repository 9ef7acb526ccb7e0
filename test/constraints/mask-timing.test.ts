import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../src/runtime/rng.js";
import { createJsonConstraint, type JsonConstraint } from "../../src/runtime/constraints/json-constraint.js";
import { fillMask } from "../../src/runtime/constraints/token-mask.js";
import { TokenTrie } from "../../src/runtime/constraints/token-trie.js";
import { validator } from "./ajv.js";
import { syntheticVocab } from "./synthetic-vocab.js";

const SCHEMA = {
  type: "object",
  properties: {
    title: { type: "string" },
    summary: { type: "string", maxLength: 200 },
    objects: {
      type: "array",
      items: {
        type: "object",
        properties: { label: { type: "string" }, count: { type: "integer" }, box: { type: "array", items: { type: "number" }, maxItems: 4 } },
        required: ["label", "count"],
      },
    },
    extra: { anyOf: [{ type: "string", maxLength: 5 }, { type: "string", minLength: 8 }, { type: "null" }] },
  },
  required: ["title", "summary", "objects", "extra"],
};

const vocab = syntheticVocab(150_000);
const STRUCT = new Set([..."\"}],:0"].map((c) => c.charCodeAt(0)));

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, mean: s.reduce((a, b) => a + b, 0) / s.length, median: q(0.5), p95: q(0.95), max: s[s.length - 1] };
};
const fmt = (o: ReturnType<typeof stats>) => `n=${o.n} mean ${o.mean.toFixed(3)} median ${o.median.toFixed(3)} p95 ${o.p95.toFixed(3)} max ${o.max.toFixed(3)} ms`;

/** Picks random allowed tokens, now and then a structural byte so the value gets finished. */
function pick(c: JsonConstraint, rng: Rng, step: number): number {
  const m = c.allowedMask();
  const ids: number[] = [];
  for (let i = 0; i < m.length; i++) if (m[i]) ids.push(i);
  const finishing = step > 250 || rng.next() < 0.15;
  if (finishing) {
    const eog = vocab.eogIds.find((id) => m[id]);
    if (eog !== undefined) return eog;
    for (const b of STRUCT) if (m[b]) return b;
  }
  return ids[Math.floor(rng.next() * ids.length)];
}

test("masks over a 150k-token vocabulary take well under a few ms per step", (t) => {
  const t0 = performance.now();
  const tt = TokenTrie.of(vocab);
  const buildMs = performance.now() - t0;
  const rng = new Rng(3);
  const times: number[] = [], inString: number[] = [], elsewhere: number[] = [];
  const valid = validator(SCHEMA);
  let finished = 0;
  for (let r = 0; r < 6; r++) {
    const c = createJsonConstraint(vocab, SCHEMA);
    const bytes: number[] = [];
    for (let step = 0; step < 400 && !c.complete; step++) {
      const room = c.state.tops.length === 1 ? c.state.tops[0].plainRoom : -1;
      const s = performance.now();
      c.allowedMask();
      const ms = performance.now() - s;
      times.push(ms);
      (room >= 0 ? inString : elsewhere).push(ms);
      const id = pick(c, rng, step);
      c.accept(id);
      if (!vocab.eogIds.includes(id)) bytes.push(...vocab.piece(id));
    }
    if (c.complete) {
      finished++;
      assert.ok(valid(JSON.parse(new TextDecoder().decode(new Uint8Array(bytes)))));
    }
  }
  assert.ok(finished >= 4, `${finished} of 6 runs finished`);
  const all = stats(times);
  t.diagnostic(`trie build ${buildMs.toFixed(0)} ms for ${vocab.size} tokens (${tt.all.nodeCount} nodes, ${tt.nonPlain.toks.length} non-plain tokens)`);
  t.diagnostic(`mask per step, all:          ${fmt(all)}`);
  t.diagnostic(`mask per step, inside string: ${fmt(stats(inString))}`);
  t.diagnostic(`mask per step, elsewhere:     ${fmt(stats(elsewhere))}`);
  assert.ok(all.median < 15, `median ${all.median} ms`); // generous: the machine is shared
});

test("the plain-text shortcut gives the same mask as the full walk; the full walk is timed too", (t) => {
  const tt = TokenTrie.of(vocab);
  const enc = new TextEncoder();
  const prefixes = [
    "", "{", '{"title": "', '{"title": "ab', '{"title": "x", "summary": "', '{"title": "x", "summary": "' + "y".repeat(198),
    '{"title": "\\', '{"title": "\\u00', '{"title": "\xe4', '{"title": "x", "summary": "", "objects": [{"label": "a", "count": 1',
    '{"title": "x", "summary": "", "objects": [], "extra": "', '{"title": "x", "summary": "", "objects": [], "extra": "abcde',
    '{"title": "x", "summary": "", "objects": [], "extra": "abcdef',
  ];
  const full: number[] = [];
  for (const p of prefixes) {
    const c = createJsonConstraint(vocab, SCHEMA);
    const s = c.recognizer.feed(c.state, enc.encode(p));
    assert.ok(s, p);
    const a = new Uint8Array(vocab.size), b = new Uint8Array(vocab.size);
    fillMask(tt, c.recognizer, s, a, true);
    const t0 = performance.now();
    fillMask(tt, c.recognizer, s, b, false);
    full.push(performance.now() - t0);
    assert.deepEqual(a, b, p);
    // and a sample of ids checked one by one
    for (let id = 0; id < vocab.size; id += 97) {
      const want: boolean = vocab.isSpecial(id) ? (vocab.eogIds.includes(id) && c.recognizer.acceptsEnd(s)) : c.recognizer.feed(s, vocab.piece(id)) !== null;
      assert.equal(a[id] === 1, want, `${p} / token ${id}`);
    }
  }
  t.diagnostic(`full trie walk (no shortcut) per state: ${fmt(stats(full))}`);
});
