import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { generateAll } from "../../src/runtime/generation.js";
import { dataUri, solidPng } from "../../bench/server/png.js";
import sharp from "sharp";
import { decodeImage } from "../../src/node/image-decode.js";
import { openAnimationBytes, videoPartOf } from "../../src/node/video-decode.js";
import { planVideoFrames } from "../../src/multimodal/video/plan-frames.js";
import { startTestServer, type TestServer } from "./helpers.js";

// The official `openai` client against the server on loopback, with the tiny fixture model (random
// weights: the text is gibberish, but greedy decoding makes it deterministic and comparable).
let t: TestServer;
before(async () => { t = await startTestServer(); });
after(async () => { await t.close(); });

const MODEL = "llm-f16.gguf";
const hello = [{ role: "user" as const, content: "Hello there" }];

test("non-streaming: an OpenAI chat.completion equal to the library's greedy answer, with usage", async () => {
  const r = await t.client.chat.completions.create({ model: MODEL, messages: hello, max_tokens: 12, temperature: 0 });
  assert.equal(r.object, "chat.completion");
  assert.match(r.id, /^chatcmpl-/);
  assert.equal(r.model, MODEL);
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.role, "assistant");
  const layout = await t.vlm.prompt(hello);
  const direct = await generateAll(t.vlm.llm, t.vlm.llm.newCache(), layout.segments, t.vlm.tokenizer, { maxTokens: 12, sampling: { temperature: 0 }, renderTokens: t.vlm.markupTokens });
  assert.equal(r.choices[0].message.content, direct.text);
  assert.equal(r.choices[0].finish_reason, direct.finishReason === "stop" ? "stop" : "length");
  const completion = direct.tokens.filter((id) => !t.vlm.tokenizer.isEog(id)).length;
  assert.deepEqual(r.usage, { prompt_tokens: direct.promptRows, completion_tokens: completion, total_tokens: direct.promptRows + completion });
});

test("streaming: role delta first, content deltas that add up to the whole answer, finish chunk, usage chunk", async () => {
  const whole = await t.client.chat.completions.create({ model: MODEL, messages: hello, max_tokens: 12, temperature: 0 });
  const stream = await t.client.chat.completions.create({ model: MODEL, messages: hello, max_tokens: 12, temperature: 0, stream: true, stream_options: { include_usage: true } });
  const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
  for await (const c of stream) chunks.push(c);
  assert.ok(chunks.length >= 3);
  assert.equal(chunks[0].choices[0].delta.role, "assistant");
  assert.ok(chunks.every((c) => c.object === "chat.completion.chunk" && c.id === chunks[0].id));
  const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
  assert.equal(text, whole.choices[0].message.content);
  const finish = chunks.filter((c) => c.choices[0]?.finish_reason);
  assert.equal(finish.length, 1);
  assert.equal(finish[0].choices[0].finish_reason, whole.choices[0].finish_reason);
  const last = chunks[chunks.length - 1];
  assert.deepEqual(last.choices, []);
  assert.deepEqual(last.usage, whole.usage);
  assert.ok(chunks.slice(0, -1).every((c) => c.usage === null), "usage is null on every chunk but the last");
});

test("streaming without include_usage has no usage chunk; raw SSE ends with [DONE]", async () => {
  const res = await fetch(`${t.base}/v1/chat/completions`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ messages: hello, max_tokens: 3, temperature: 0, stream: true }),
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
  const raw = await res.text();
  const events = raw.split("\n\n").filter(Boolean);
  assert.ok(events.every((e) => e.startsWith("data: ")));
  assert.equal(events[events.length - 1], "data: [DONE]");
  const bodies = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)));
  assert.ok(bodies.every((b) => !("usage" in b)));
  assert.equal(bodies[bodies.length - 1].choices[0].finish_reason, "length");
});

test("image parts: a PNG data URI adds its image rows to prompt_tokens, same answer as the library", async () => {
  const png = await solidPng(96, 64, [30, 160, 220]);
  const content = [{ type: "image_url" as const, image_url: { url: dataUri(png) } }, { type: "text" as const, text: "What colour is it?" }];
  const r = await t.client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content }], max_tokens: 8, temperature: 0 });
  const image = await decodeImage(png);
  const layout = await t.vlm.prompt([{ role: "user", content: [{ type: "image", image }, { type: "text", text: "What colour is it?" }] }]);
  const direct = await generateAll(t.vlm.llm, t.vlm.llm.newCache(), layout.segments, t.vlm.tokenizer, { maxTokens: 8, sampling: { temperature: 0 }, renderTokens: t.vlm.markupTokens });
  assert.equal(r.choices[0].message.content, direct.text);
  assert.equal(r.usage?.prompt_tokens, direct.promptRows);
  const textOnly = await t.client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "What colour is it?" }], max_tokens: 1, temperature: 0 });
  assert.ok(r.usage!.prompt_tokens >= textOnly.usage!.prompt_tokens + t.vlm.vision.config.queryNum, "image rows are counted");
  // two images, one in an earlier turn, in a multi-turn conversation with a system message
  const r2 = await t.client.chat.completions.create({
    model: "default", max_tokens: 4, temperature: 0,
    messages: [
      { role: "system", content: "You are terse." },
      { role: "user", content },
      { role: "assistant", content: "Blue." },
      { role: "user", content: [{ type: "image_url", image_url: { url: dataUri(await solidPng(40, 40, [250, 250, 0]), "image/png") } }, { type: "text", text: "And this?" }] },
    ],
  });
  assert.ok(r2.usage!.prompt_tokens > r.usage!.prompt_tokens + t.vlm.vision.config.queryNum);
});

test("stop strings cut the answer before the first match; max_completion_tokens counts", async () => {
  const whole = await t.client.chat.completions.create({ model: MODEL, messages: hello, max_tokens: 24, temperature: 0 });
  const text = whole.choices[0].message.content!;
  const stop = [...text].slice(3, 5).join("");
  assert.ok(stop.length > 0);
  const cut = await t.client.chat.completions.create({ model: MODEL, messages: hello, max_tokens: 24, temperature: 0, stop: [stop, "\u0000never"] });
  assert.equal(cut.choices[0].message.content, text.slice(0, text.indexOf(stop)));
  assert.equal(cut.choices[0].finish_reason, "stop");
  const one = await t.client.chat.completions.create({ model: MODEL, messages: hello, stop, max_tokens: 24, temperature: 0 });
  assert.equal(one.choices[0].message.content, cut.choices[0].message.content);
  const short = await t.client.chat.completions.create({ model: MODEL, messages: hello, max_completion_tokens: 3, temperature: 0 });
  assert.equal(short.usage?.completion_tokens, 3);
  assert.equal(short.choices[0].finish_reason, "length");
});

test("seed makes sampling reproducible; temperature and top_p are honoured", async () => {
  const ask = (seed: number) => t.client.chat.completions.create({ model: MODEL, messages: hello, max_tokens: 16, temperature: 1.2, top_p: 0.95, seed });
  const [a, b, c] = [await ask(7), await ask(7), await ask(8)];
  assert.equal(a.choices[0].message.content, b.choices[0].message.content);
  assert.notEqual(a.choices[0].message.content, c.choices[0].message.content);
  const greedy = await t.client.chat.completions.create({ model: MODEL, messages: hello, max_tokens: 16, temperature: 0 });
  const topP0 = await t.client.chat.completions.create({ model: MODEL, messages: hello, max_tokens: 16, temperature: 1, top_p: 0, seed: 3 });
  assert.equal(topP0.choices[0].message.content, greedy.choices[0].message.content, "top_p 0 keeps only the best token");
});

test("models, health, model aliases and unknown models", async () => {
  const list = await t.client.models.list();
  assert.deepEqual(list.data.map((m) => m.id), [MODEL]);
  const card = await t.client.models.retrieve(MODEL);
  assert.equal(card.id, MODEL);
  for (const name of ["default", "llm-f16", MODEL]) {
    const r = await t.client.chat.completions.create({ model: name, messages: hello, max_tokens: 1, temperature: 0 });
    assert.equal(r.choices.length, 1);
  }
  await assert.rejects(t.client.chat.completions.create({ model: "gpt-4o", messages: hello }), (e: unknown) => {
    assert.ok(e instanceof OpenAI.NotFoundError);
    assert.equal(e.code, "model_not_found");
    assert.equal(e.param, "model");
    return true;
  });
  const h = await t.health();
  assert.equal(h.status, "ok");
  assert.ok(h.completions >= 1);
  assert.deepEqual(h.queue, { running: 0, waiting: 0, max_waiting: 16 });
});

test("structured logs: one JSON line per request and per completion", async () => {
  const before = t.logs.length;
  await t.client.chat.completions.create({ model: MODEL, messages: hello, max_tokens: 2, temperature: 0 });
  const lines = t.logs.slice(before);
  const completion = lines.find((l) => l.msg === "completion");
  assert.ok(completion, "a completion line");
  assert.equal(completion.completion_tokens, 2);
  assert.equal(typeof completion.queue_ms, "number");
  const req = lines.find((l) => l.msg === "request");
  assert.equal(req?.status, 200);
  assert.equal(req?.url, "/v1/chat/completions");
});

test("video parts: an animated GIF as video_url gets the authors' frame sampling and 3-D resampler groups, same answer as the library", async () => {
  const frames = [[220, 30, 40], [30, 160, 60], [30, 80, 220], [240, 205, 20]].map(([r, g, b]) => ({ width: 56, height: 42, data: new Uint8Array(56 * 42 * 3).map((_, i) => [r, g, b][i % 3]) }));
  const gif = await sharp(Buffer.concat(frames.map((f) => Buffer.from(f.data))), { raw: { width: 56, height: 42 * 4, channels: 3, pageHeight: 42 } })
    .gif({ delay: [500, 500, 500, 500] }).toBuffer();
  const post = (content: unknown[]) => fetch(`${t.base}/v1/chat/completions`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: MODEL, max_tokens: 6, temperature: 0, messages: [{ role: "user", content }] }),
  });
  const res = await post([{ type: "video_url", video_url: { url: dataUri(gif, "image/gif") } }, { type: "text", text: "What happens?" }]);
  assert.equal(res.status, 200);
  const body = await res.json();
  const video = await videoPartOf(await openAnimationBytes(gif, "clip"), { temporal: t.vlm.hasTemporalResampler });
  assert.equal(video.frames.length, 4, "2 s at 2 fps: every frame (3 fps > 2)");
  const layout = await t.vlm.prompt([{ role: "user", content: [video, { type: "text", text: "What happens?" }] }]);
  const direct = await generateAll(t.vlm.llm, t.vlm.llm.newCache(), layout.segments, t.vlm.tokenizer, { maxTokens: 6, sampling: { temperature: 0 }, renderTokens: t.vlm.markupTokens });
  assert.equal(body.choices[0].message.content, direct.text);
  assert.equal(body.usage.prompt_tokens, direct.promptRows);

  const still = await post([{ type: "video_url", video_url: { url: dataUri(await solidPng(20, 20, [1, 2, 3]), "image/png") } }, { type: "text", text: "?" }]);
  assert.equal(still.status, 400);
  assert.equal((await still.json()).error.code, "unsupported_video_type");
  const oneFrame = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#000" } }).gif().toBuffer();
  const single = await post([{ type: "video_url", video_url: { url: dataUri(oneFrame, "image/gif") } }]);
  assert.equal(single.status, 400);
  assert.match((await single.json()).error.message, /one frame: send it as an image_url/);

  // 70 s at 1 fps: the authors' sampler takes 210 samples (3 fps) in 105 groups of 2, 6720 rows, past the
  // 4096 context before any frame is encoded
  const n = 70;
  // (frames differ: the GIF encoder merges identical ones)
  const long = await sharp(Buffer.alloc(8 * 8 * n * 3).map((_, i) => Math.floor(i / 192) * 3), { raw: { width: 8, height: 8 * n, channels: 3, pageHeight: 8 } })
    .gif({ delay: Array(n).fill(1000) }).toBuffer();
  const tooLong = await post([{ type: "video_url", video_url: { url: dataUri(long, "image/gif") } }]);
  assert.equal(tooLong.status, 400);
  const err = (await tooLong.json()).error;
  assert.equal(err.code, "context_length_exceeded");
  assert.equal(planVideoFrames(n, 1).temporalIds.length, 105);
  assert.match(err.message, /video frames alone take 6720 tokens/);
});
