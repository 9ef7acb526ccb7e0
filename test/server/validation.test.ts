import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer as createHttpServer, type Server } from "node:http";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isOpenAiError, malformedRequests, sendCase } from "../../bench/server/malformed-requests.js";
import { dataUri, solidPng } from "../../bench/server/png.js";
import { startTestServer, type TestServer } from "./helpers.js";
import { LONG } from "./long-request.js";

// Bad input of every kind gets a 4xx in OpenAI's error shape, and the server keeps serving.
const limits = { maxImages: 3, maxImageBytes: 64 * 1024, maxImagePixels: 512 * 512, bodyLimit: 512 * 1024 };
let t: TestServer;
before(async () => {
  t = await startTestServer({ bodyLimit: limits.bodyLimit, images: { maxImages: limits.maxImages, maxBytes: limits.maxImageBytes, maxPixels: limits.maxImagePixels } });
});
after(async () => { await t.close(); });

test("malformed-request sweep: every case is its 4xx in OpenAI's shape while a valid stream completes", async () => {
  const cases = await malformedRequests({ ...limits, contextLength: t.vlm.llm.config.contextLength });
  assert.ok(cases.length >= 30, `${cases.length} kinds`);
  const stream = fetch(`${t.base}/v1/chat/completions`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], max_tokens: 30, temperature: 0, stream: true }),
  }).then((r) => r.text());
  const results = await Promise.all(cases.map(async (c) => ({ c, r: await sendCase(t.base, c) })));
  for (const { c, r } of results) {
    assert.equal(r.status, c.status, `${c.name}: status ${r.status} ${JSON.stringify(r.body)}`);
    assert.ok(isOpenAiError(r.body), `${c.name}: error shape ${JSON.stringify(r.body)}`);
    if (c.code) assert.equal((r.body as { error: { code: string } }).error.code, c.code, `${c.name}: ${JSON.stringify(r.body)}`);
  }
  const sse = await stream;
  assert.ok(sse.endsWith("data: [DONE]\n\n"));
  assert.match(sse, /"finish_reason":"length"/);
  const ok = await t.client.chat.completions.create({ model: "default", messages: [{ role: "user", content: "still there?" }], max_tokens: 2, temperature: 0 });
  assert.equal(ok.usage?.completion_tokens, 2);
  assert.equal((await t.health()).status, "ok");
});

test("messages name the field and the fix", async () => {
  const send = async (body: unknown) => (await sendCase(t.base, { name: "", method: "POST", path: "/v1/chat/completions", contentType: "application/json", body: JSON.stringify(body), status: 400 })).body as { error: { message: string; param: string | null } };
  const role = await send({ messages: [{ role: "tool", content: "x" }] });
  assert.equal(role.error.param, "messages[0].role");
  assert.match(role.error.message, /must be one of "system", "developer", "user", "assistant"; got "tool"/);
  const sys = await send({ messages: [{ role: "system", content: [{ type: "image_url", image_url: { url: "x" } }] }] });
  assert.match(sys.error.message, /images go in user messages/);
  const n = await send({ messages: [{ role: "user", content: "x" }], n: 3 });
  assert.match(n.error.message, /only n = 1 is supported/);
  const unknown = await send({ messages: [{ role: "user", content: "x" }], functions: [] });
  assert.equal(unknown.error.message, "Unrecognized request argument supplied: functions");
  const many = await send({ messages: [{ role: "user", content: Array.from({ length: 4 }, () => ({ type: "image_url", image_url: { url: "data:," } })) }] });
  assert.match(many.error.message, /4 images; this server accepts at most 3/);
  const ctx = await send({ messages: [{ role: "user", content: "word ".repeat(6000) }] });
  assert.match(ctx.error.message, /maximum context length is 4096 tokens\. However, your messages resulted in \d+ tokens/);
});

test("a prompt that cannot fit is refused at once, even while the model is busy", async () => {
  const busy = await startTestServer({ maxQueue: 0 });
  try {
    const ac = new AbortController();
    const s = await busy.client.chat.completions.create({ ...LONG, stream: true }, { signal: ac.signal });
    await s[Symbol.asyncIterator]().next();
    const t0 = Date.now();
    await assert.rejects(busy.client.chat.completions.create({ model: "default", messages: [{ role: "user", content: "word ".repeat(100_000) }] }), (e: unknown) => {
      assert.equal((e as { code?: string }).code, "context_length_exceeded");
      assert.match((e as Error).message, /resulted in at least \d+ tokens/);
      return true;
    });
    assert.ok(Date.now() - t0 < 5000);
    await assert.rejects(busy.client.chat.completions.create({ model: "default", messages: [{ role: "user", content: "hi" }] }), (e: unknown) => (e as { status?: number }).status === 429);
    ac.abort();
  } finally {
    await busy.close();
  }
});

test("developer role works as system; image detail is accepted", async () => {
  const png = dataUri(await solidPng(32, 32));
  const r = await t.client.chat.completions.create({
    model: "default", max_tokens: 1, temperature: 0,
    messages: [{ role: "developer", content: "Be brief." }, { role: "user", content: [{ type: "image_url", image_url: { url: png, detail: "low" } }, { type: "text", text: "?" }] }],
  });
  assert.equal(r.choices.length, 1);
});

test("remote and local images when enabled: fetched with size and time limits", async () => {
  const png = await solidPng(48, 48, [10, 200, 10]);
  const http: Server = createHttpServer((req, res) => {
    if (req.url === "/ok.png") { res.writeHead(200, { "content-type": "image/png" }); res.end(png); return; }
    if (req.url === "/big.png") { res.writeHead(200, { "content-type": "image/png" }); res.end(Buffer.alloc(limits.maxImageBytes + 10)); return; }
    if (req.url === "/slow.png") { setTimeout(() => { res.writeHead(200); res.end(png); }, 3000); return; }
    res.writeHead(404); res.end();
  });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  const port = (http.address() as { port: number }).port;
  const dir = await mkdtemp(join(tmpdir(), "pocketvlm-serve-"));
  await writeFile(join(dir, "local.png"), png);
  const open = await startTestServer({ images: { allowRemote: true, allowLocalFiles: true, remoteTimeoutMs: 500, maxBytes: limits.maxImageBytes } });
  try {
    const ask = (url: string) => open.client.chat.completions.create({ model: "default", max_tokens: 1, temperature: 0, messages: [{ role: "user", content: [{ type: "image_url", image_url: { url } }, { type: "text", text: "?" }] }] });
    const viaHttp = await ask(`http://127.0.0.1:${port}/ok.png`);
    const viaData = await ask(dataUri(png));
    const viaFile = await ask(join(dir, "local.png"));
    const viaFileUrl = await ask(`file://${join(dir, "local.png")}`);
    for (const r of [viaHttp, viaFile, viaFileUrl]) assert.deepEqual(r.usage, viaData.usage);
    const code = async (url: string) => {
      try { await ask(url); return "none"; } catch (e) { return (e as { code?: string }).code; }
    };
    assert.equal(await code(`http://127.0.0.1:${port}/big.png`), "image_too_large");
    assert.equal(await code(`http://127.0.0.1:${port}/slow.png`), "image_fetch_timeout");
    assert.equal(await code(`http://127.0.0.1:${port}/missing.png`), "invalid_image_url");
    assert.equal(await code("file://remote-host/x.png"), "invalid_image_url");
    assert.equal(await code(join(dir, "nope.png")), "invalid_image_url");
  } finally {
    await open.close();
    http.closeAllConnections();
    http.close();
  }
});
