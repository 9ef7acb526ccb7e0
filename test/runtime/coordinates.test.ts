import { test } from "node:test";
import assert from "node:assert/strict";
import { atCoordinateStart, DigitTokens, medianNumber, numberDistribution, weightedMedian } from "../../src/runtime/coordinates.js";
import { generateAll } from "../../src/runtime/generation.js";
import type { ForwardInput, KvCache, LanguageModel, LlmConfig } from "../../src/models/llm/language-model.js";
import { listCache } from "./counting-model.js";

// Vocabulary: ids 0-255 are bytes, 256 = "<box>", 257 = "</box>", 258 = end of generation.
const BOX = 256, END_BOX = 257, EOG = 258, N_VOCAB = 259;
const text = {
  isEog: (id: number) => id === EOG,
  tokenToPiece: (id: number) => (id < 256 ? new Uint8Array([id]) : new TextEncoder().encode(["<box>", "</box>", ""][id - 256])),
};

/**
 * A model that answers "<box>N</box>" with N drawn from `numbers` (value -> probability): each digit's
 * probability is the mass of the numbers that continue the digits so far, as a real model's would be.
 */
function boxModel(numbers: Record<number, number>): LanguageModel & { forwards: number } {
  const config = { nVocab: N_VOCAB, contextLength: 512 } as LlmConfig;
  const next = (seq: number[]): Float32Array => {
    const p = new Float32Array(N_VOCAB);
    const at = seq.lastIndexOf(BOX);
    if (at < 0) p[BOX] = 1;
    else if (seq[seq.length - 1] === END_BOX) p[EOG] = 1;
    else {
      const digits = String.fromCharCode(...seq.slice(at + 1));
      for (const [n, prob] of Object.entries(numbers)) {
        if (!n.startsWith(digits)) continue;
        if (n === digits) p[END_BOX] += prob;
        else p[n.charCodeAt(digits.length)] += prob;
      }
    }
    return p.map((x) => Math.log(Math.max(x, 1e-12)));
  };
  const model = {
    config,
    forwards: 0,
    newCache: () => listCache<number>(),
    embedTokens: (ids: ArrayLike<number>) => new Float32Array(ids.length),
    forward(input: ForwardInput, cache: KvCache) {
      if (input.kind !== "tokens") throw new Error("tokens only");
      model.forwards++;
      const c = cache as unknown as { push(x: number): void; rows(): number[] };
      for (let i = 0; i < input.ids.length; i++) c.push(input.ids[i]);
      return { logits: next(c.rows()) };
    },
    async dispose() {},
  };
  return model;
}

// Greedy digits go 3 (0.7) then 2 (0.3 of it): 320. The median of the four values is 300.
const SPLIT = { 290: 0.3, 300: 0.2, 310: 0.2, 320: 0.3 };
const prompt = [{ kind: "tokens" as const, ids: [65] }];

test("coordinates: a number starts right after <box>/<point> or after a separator inside one", () => {
  for (const t of ["<box>", "x <box>12 ", "<point>5, ", "<box>1 2 3 "]) assert.ok(atCoordinateStart(t), t);
  for (const t of ["", "12 ", "<box>12", "<box>1 2 3 4</box>", "<box>1 2</box> ", "<ref>a</ref>"]) assert.ok(!atCoordinateStart(t), t);
});

test("coordinates: the weighted median is the value where the cumulative mass reaches half", () => {
  const m = (o: Record<number, number>) => new Map(Object.entries(o).map(([k, p]) => [Number(k), { prob: p }]));
  assert.equal(weightedMedian(m(SPLIT)), 300);
  assert.equal(weightedMedian(m({ 5: 1 })), 5);
  assert.equal(weightedMedian(m({ 10: 0.2, 20: 0.2, 990: 0.6 })), 990);
  assert.equal(weightedMedian(new Map()), undefined);
});

test("coordinates: the look-ahead recovers each number's probability and leaves the cache as it was", () => {
  const model = boxModel(SPLIT);
  const cache = model.newCache();
  const logits = model.forward({ kind: "tokens", ids: [65, BOX] }, cache).logits!;
  const digits = DigitTokens.of(text, N_VOCAB);
  assert.equal(digits.ids.length, 10);
  const dist = numberDistribution(model, cache, logits, digits);
  assert.deepEqual([...dist.keys()].sort(), [290, 300, 310, 320]);
  for (const [v, p] of Object.entries(SPLIT)) assert.ok(Math.abs(dist.get(Number(v))!.prob - p) < 1e-5, `P(${v})`);
  assert.deepEqual(dist.get(310)!.path, [0x33, 0x31, 0x30]);
  assert.equal(cache.nextPosition, 2);
});

test("coordinates: median decoding writes the median, greedy the digit-by-digit choice", async () => {
  const model = boxModel(SPLIT);
  const greedy = await generateAll(model, model.newCache(), prompt, text, { coordinates: "greedy", renderSpecial: true });
  assert.equal(greedy.text, "<box>320</box>");
  const cache = model.newCache();
  const median = await generateAll(model, cache, prompt, text, { renderSpecial: true });
  assert.equal(median.text, "<box>300</box>", "median is the default");
  // the cache holds the prompt and every generated token but the last, as after token-by-token decoding
  assert.deepEqual((cache as unknown as { rows(): number[] }).rows(), [65, ...median.tokens.slice(0, -1)]);
});

test("coordinates: sampling and constrained output go token by token", async () => {
  const model = boxModel({ 7: 1 });
  const r = await generateAll(model, model.newCache(), prompt, text, { sampling: { temperature: 1, seed: 1 } });
  assert.deepEqual(r.tokens, [BOX, 0x37, END_BOX, EOG]);
  assert.equal(model.forwards, 4, "no look-ahead forwards");
  // sampling options without a temperature sample at the sampler's default: still no look-ahead
  const r2 = await generateAll(model, model.newCache(), prompt, text, { sampling: { seed: 1 } });
  assert.deepEqual(r2.tokens, [BOX, 0x37, END_BOX, EOG]);
  assert.equal(model.forwards, 8, "no look-ahead forwards");
});

test("coordinates: numbers that cannot take another digit cost no forward call; a spent budget falls back", () => {
  const many: Record<number, number> = {};
  for (let v = 100; v < 200; v++) many[v] = 0.01;
  const model = boxModel(many);
  const cache = model.newCache();
  const logits = model.forward({ kind: "tokens", ids: [65, BOX] }, cache).logits!;
  const digits = DigitTokens.of(text, N_VOCAB);
  // "1", then "10".."13": 101-139 are known (110 and up cannot take a fourth digit), 39% of the mass
  const some = numberDistribution(model, cache, logits, digits, { budget: 5 });
  assert.equal(some.size, 39);
  assert.equal(model.forwards, 1 + 5);
  assert.equal(medianNumber(model, cache, logits, digits, { budget: 5 }), undefined, "under half the mass: no median");
  // "1", "10".."19" and "100" (which could be 1000): every number, in 12 forward calls
  model.forwards = 0;
  const all = numberDistribution(model, cache, logits, digits, { budget: 12 });
  assert.equal(all.size, 100);
  assert.equal(model.forwards, 12);
  const median = String.fromCharCode(...medianNumber(model, cache, logits, digits)!);
  assert.ok(median === "149" || median === "150", median);
  assert.equal(cache.nextPosition, 2);
});
