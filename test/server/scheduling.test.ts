import { test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { FifoQueue, QueueAbortedError, QueueClosedError, QueueFullError } from "../../src/server/fifo-queue.js";
import { LONG } from "./long-request.js";
import { startTestServer, until } from "./helpers.js";

const short = { model: "default", messages: [{ role: "user" as const, content: "hi" }], max_tokens: 2, temperature: 0 };

test("FIFO queue: one slot, order kept, full → QueueFullError, abort leaves the queue, close refuses waiters", async () => {
  const q = new FifoQueue(2);
  const order: string[] = [];
  const r1 = await q.acquire();
  const p2 = q.acquire().then((rel) => { order.push("2"); return rel; });
  const ac = new AbortController();
  const p3 = q.acquire(ac.signal);
  await assert.rejects(q.acquire(), QueueFullError);
  ac.abort("timeout");
  await assert.rejects(p3, (e: unknown) => e instanceof QueueAbortedError && e.reason === "timeout");
  assert.equal(q.waiting, 1);
  const p4 = q.acquire().then((rel) => { order.push("4"); return rel; });
  r1();
  r1(); // a second release is a no-op
  const r2 = await p2;
  assert.deepEqual(order, ["2"]);
  r2();
  const r4 = await p4;
  assert.deepEqual(order, ["2", "4"]);
  const p5 = q.acquire();
  q.close();
  await assert.rejects(p5, QueueClosedError);
  await assert.rejects(q.acquire(), QueueClosedError);
  r4();
  assert.equal(q.running, false);
});

test("429 on a full queue; a client disconnect cancels its generation and the next request runs", async () => {
  const t = await startTestServer({ maxQueue: 1 });
  try {
    const acA = new AbortController();
    const streamA = await t.client.chat.completions.create({ ...LONG, stream: true }, { signal: acA.signal });
    const itA = streamA[Symbol.asyncIterator]();
    await itA.next();
    await itA.next(); // A is generating
    const b = t.client.chat.completions.create(short);
    await until(async () => (await t.health()).queue.waiting === 1, 10_000, "B to queue");
    await assert.rejects(t.client.chat.completions.create(short), (e: unknown) => {
      assert.ok(e instanceof OpenAI.RateLimitError);
      assert.equal(e.status, 429);
      assert.equal(e.code, "queue_full");
      assert.equal(e.headers?.get("retry-after"), "1");
      return true;
    });
    const t0 = Date.now();
    acA.abort();
    const rb = await b;
    assert.equal(rb.usage?.completion_tokens, 2);
    assert.ok(Date.now() - t0 < 10_000, "B ran soon after A's client went away");
    await until(async () => (await t.health()).cancelled.disconnect === 1, 5000, "A counted as cancelled");
    const lineA = t.logs.find((l) => l.msg === "completion" && l.cancelled === "disconnect");
    assert.ok(lineA, "A's completion line");
    assert.ok((lineA.completion_tokens as number) < 4000, `A stopped early (${lineA.completion_tokens} tokens)`);
  } finally {
    await t.close();
  }
});

test("a client that disconnects while queued leaves the queue at once", async () => {
  const t = await startTestServer({ maxQueue: 4 });
  try {
    const acA = new AbortController();
    const streamA = await t.client.chat.completions.create({ ...LONG, stream: true }, { signal: acA.signal });
    const itA = streamA[Symbol.asyncIterator]();
    await itA.next();
    const acB = new AbortController();
    const b = t.client.chat.completions.create(short, { signal: acB.signal });
    await until(async () => (await t.health()).queue.waiting === 1, 10_000, "B to queue");
    acB.abort();
    await assert.rejects(b, OpenAI.APIUserAbortError);
    await until(async () => (await t.health()).queue.waiting === 0, 5000, "B to leave the queue");
    const h = await t.health();
    assert.equal(h.queue.running, 1, "A still runs");
    assert.equal(h.cancelled.disconnect, 1);
    acA.abort();
    await until(async () => (await t.health()).queue.running === 0, 10_000, "A to stop");
  } finally {
    await t.close();
  }
});

test("per-request time limit: a generation that runs out of time ends with finish_reason length", async () => {
  const t = await startTestServer({ timeoutMs: 1500 });
  try {
    const t0 = Date.now();
    const r = await t.client.chat.completions.create(LONG);
    const ms = Date.now() - t0;
    assert.equal(r.choices[0].finish_reason, "length");
    assert.ok(r.usage!.completion_tokens < 4000);
    assert.ok(ms >= 1400 && ms < 10_000, `${ms} ms`);
    assert.equal((await t.health()).cancelled.timeout, 1);
    const s = await t.client.chat.completions.create({ ...LONG, stream: true });
    let finish: string | null = null;
    for await (const c of s) finish = c.choices[0]?.finish_reason ?? finish;
    assert.equal(finish, "length");
  } finally {
    await t.close();
  }
});

test("graceful shutdown: in-flight work finishes within the grace period, then the listener is gone", async () => {
  const t = await startTestServer();
  const pending = t.client.chat.completions.create({ ...short, max_tokens: 40 });
  await until(async () => (await t.health()).queue.running === 1, 10_000, "request to start");
  const down = t.server.shutdown(20_000);
  const r = await pending;
  assert.equal(r.usage?.completion_tokens, 40, "finished normally");
  await down;
  await assert.rejects(fetch(`${t.base}/health`));
});

test("graceful shutdown: past the grace period a running stream ends cleanly and waiting requests get 503", async () => {
  const t = await startTestServer();
  const s = await t.client.chat.completions.create({ ...LONG, stream: true });
  const it = s[Symbol.asyncIterator]();
  await it.next();
  const waiting = t.client.chat.completions.create(short).then(() => null, (e: unknown) => e);
  await until(async () => (await t.health()).queue.waiting === 1, 10_000, "second request to queue");
  const t0 = Date.now();
  const down = t.server.shutdown(300);
  let finish: string | null = null;
  for (;;) {
    const c = await it.next();
    if (c.done) break;
    finish = c.value.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(finish, "length");
  const e = await waiting;
  assert.ok(e instanceof OpenAI.APIError, String(e));
  assert.equal(e.status, 503);
  assert.equal(e.code, "shutting_down");
  await down;
  assert.ok(Date.now() - t0 < 6000, `shutdown took ${Date.now() - t0} ms`);
  assert.equal(t.server.context.stats.cancelled.shutdown, 2, "the running and the waiting request");
});
