import { test } from "node:test";
import assert from "node:assert/strict";
import { generate, generateAll } from "../../src/runtime/generation.js";
import { Sampler } from "../../src/runtime/sampling.js";
import { StopStringFilter } from "../../src/runtime/stop-strings.js";
import { sliceSegments, rowKeys } from "../../src/runtime/prompt.js";
import { UserError } from "../../src/errors.js";
import { byteText, countingModel } from "./counting-model.js";

const A = "a".charCodeAt(0);

test("greedy generation follows the model and stops at max tokens", async () => {
  const m = countingModel();
  const r = await generateAll(m, m.newCache(), [{ kind: "tokens", ids: [A] }], byteText, { maxTokens: 5 });
  assert.equal(r.text, "bcdef");
  assert.equal(r.finishReason, "length");
  assert.deepEqual(r.tokens, [A + 1, A + 2, A + 3, A + 4, A + 5]);
});

test("end-of-generation token stops and is not in the text", async () => {
  const m = countingModel();
  const r = await generateAll(m, m.newCache(), [{ kind: "tokens", ids: [296] }], byteText, { maxTokens: 10 });
  assert.deepEqual(r.tokens, [297, 298, 299]);
  assert.equal(r.finishReason, "stop");
  assert.equal(r.text, "<297><298>");
});

test("stop strings cut the text and are never streamed, even partially", async () => {
  const m = countingModel();
  const it = generate(m, m.newCache(), [{ kind: "tokens", ids: [A] }], byteText, { maxTokens: 20, stop: ["def", "xyz"] });
  const deltas: string[] = [];
  let res;
  for (;;) { const r = await it.next(); if (r.done) { res = r.value; break; } deltas.push(r.value.text); }
  assert.equal(deltas.join(""), "bc");
  assert.equal(res.text, "bc");
  assert.equal(res.finishReason, "stop");
});

test("stop filter releases held text when the candidate breaks", () => {
  const f = new StopStringFilter(["</s>"]);
  assert.equal(f.push("ab<"), "ab");
  assert.equal(f.push("/x"), "</x");
  assert.equal(f.push("</"), "");
  assert.equal(f.flush(), "</");
});

test("multi-byte characters split across tokens stream as whole characters", async () => {
  const bytes = [...new TextEncoder().encode("é")]; // c3 a9
  const text = { isEog: () => false, tokenToPiece: (id: number) => new Uint8Array([id]) };
  const m = countingModel();
  // a model whose continuation is c3 then a9 is the counting model started at 0xc2
  const it = generate(m, m.newCache(), [{ kind: "tokens", ids: [bytes[0] - 1] }], text, { maxTokens: 1 });
  const first = await it.next();
  assert.equal(!first.done && first.value.text, "");
});

test("abort signal ends generation with reason aborted", async () => {
  const m = countingModel();
  const ac = new AbortController();
  const it = generate(m, m.newCache(), [{ kind: "tokens", ids: [A] }], byteText, { maxTokens: 100, signal: ac.signal });
  await it.next();
  ac.abort();
  let res;
  for (;;) { const r = await it.next(); if (r.done) { res = r.value; break; } }
  assert.equal(res.finishReason, "aborted");
  assert.ok(res.tokens.length < 100);
});

test("prefill is chunked and embedding segments are fed as rows", async () => {
  const m = countingModel();
  const ids = Array.from({ length: 10 }, (_, i) => i);
  await generateAll(m, m.newCache(), [{ kind: "tokens", ids }, { kind: "embeddings", rows: new Float32Array(12), n: 3, key: "img" }, { kind: "tokens", ids: [1] }], byteText, { maxTokens: 1, chunkSize: 4 });
  assert.deepEqual(m.calls, [4, 4, 2, 3, 1]);
});

test("a prompt that does not fit the context is a user error", async () => {
  const m = countingModel(300, 8);
  await assert.rejects(generateAll(m, m.newCache(), [{ kind: "tokens", ids: new Array(9).fill(1) }], byteText, {}), UserError);
});

test("sampling is reproducible from a seed and respects top-k", () => {
  const logits = new Float32Array([1, 2, 3, 4, 0.5]);
  const draw = (seed: number) => { const s = new Sampler({ temperature: 1, topK: 2, topP: 1, minP: 0, seed }); return Array.from({ length: 50 }, () => s.sample(logits, [])); };
  assert.deepEqual(draw(42), draw(42));
  const d = draw(7);
  assert.ok(d.every((x) => x === 3 || x === 2));
  assert.ok(d.includes(2) && d.includes(3));
});

test("repetition penalty and masks change the greedy choice", () => {
  const logits = new Float32Array([1, 2, 3]);
  assert.equal(new Sampler({ temperature: 0 }).sample(logits, []), 2);
  assert.equal(new Sampler({ temperature: 0, repetitionPenalty: 2 }).sample(logits, [2]), 1);
  assert.equal(new Sampler({ temperature: 0 }).sample(logits, [], (id) => id === 0), 0);
  assert.throws(() => new Sampler({ topP: 0 }), UserError);
});

test("segments slice and key per row", () => {
  const segs = [{ kind: "tokens" as const, ids: [1, 2] }, { kind: "embeddings" as const, rows: new Float32Array(6), n: 3, key: "x" }];
  assert.deepEqual(rowKeys(segs), [1, 2, "x#0", "x#1", "x#2"]);
  const s = sliceSegments(segs, 3);
  assert.equal(s.length, 1);
  assert.equal(s[0].kind === "embeddings" && s[0].n, 2);
});

test("a chat session reuses the cached prefix across turns", async () => {
  const { ChatSession } = await import("../../src/runtime/session.js");
  const m = countingModel();
  const s = new ChatSession(m, byteText);
  const img = { kind: "embeddings" as const, rows: new Float32Array(8), n: 2, key: "imgA" };
  const t1 = [{ kind: "tokens" as const, ids: [1, 2, 3] }, img, { kind: "tokens" as const, ids: [A] }];
  const drain = async (it: AsyncGenerator<unknown, { tokens: number[] }>) => { for (;;) { const r = await it.next(); if (r.done) return r.value; } };
  const r1 = await drain(s.turn(t1, { maxTokens: 3 }));
  assert.deepEqual(r1.tokens, [A + 1, A + 2, A + 3]);
  assert.equal(s.length, 6 + 2); // prompt 6 rows + 2 fed generated tokens
  m.calls.length = 0;
  const t2 = [...t1, { kind: "tokens" as const, ids: [A + 1, A + 2, A + 3, 10, 20] }];
  await drain(s.turn(t2, { maxTokens: 1 }));
  assert.equal(s.reusedRows, 8);
  assert.deepEqual(m.calls, [3]); // only the new rows are fed
  // an edited earlier turn rewinds to the common prefix
  m.calls.length = 0;
  await drain(s.turn([{ kind: "tokens" as const, ids: [1, 2, 9] }], { maxTokens: 1 }));
  assert.equal(s.reusedRows, 2);
  assert.deepEqual(m.calls, [1]);
});
