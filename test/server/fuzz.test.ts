import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../src/runtime/rng.js";
import { isOpenAiError } from "../../bench/server/malformed-requests.js";
import { dataUri, solidPng } from "../../bench/server/png.js";
import { startTestServer, type TestServer } from "./helpers.js";

// Seeded random mutations of a valid request: every answer is a 200 or a 4xx in OpenAI's shape —
// never a 5xx, never a dropped connection — and the server stays healthy.
let t: TestServer;
before(async () => { t = await startTestServer({ defaults: { maxTokens: 2 } }); });
after(async () => { await t.close(); });

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function paths(v: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v !== null && typeof v === "object") for (const k of Object.keys(v)) paths(v[k], [...at, k], out);
  return out;
}

test("300 random mutations of a valid request: 200 or 4xx, never 5xx; still serving", async () => {
  const png = dataUri(await solidPng(16, 16));
  const base: Json = {
    model: "default", max_tokens: 1, temperature: 0, stop: ["zz"], stream: false,
    messages: [
      { role: "system", content: "be brief" },
      { role: "user", content: [{ type: "text", text: "hi" }, { type: "image_url", image_url: { url: png } }] },
    ],
    response_format: { type: "text" },
  };
  const pool: Json[] = [null, 0, -1, 1.5, 2, 1e308, "", "x", "user", "image_url", true, false, [], {}, [1], { a: 1 },
    "data:image/png;base64,AAAA", "data:,", "x".repeat(5000), [{ type: "text", text: "y" }], { type: "json_object" }];
  const rng = new Rng(20241126);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)];
  const statuses = new Map<number, number>();
  for (let i = 0; i < 300; i++) {
    const body = structuredClone(base) as { [k: string]: Json };
    const edits = 1 + Math.floor(rng.next() * 3);
    for (let e = 0; e < edits; e++) {
      const p = pick(paths(body).filter((x) => x.length > 0));
      let parent: Json = body;
      for (const k of p.slice(0, -1)) parent = (parent as Record<string, Json>)[k as string];
      const key = p[p.length - 1];
      const r = rng.next();
      if (r < 0.15 && !Array.isArray(parent)) delete (parent as Record<string, Json>)[key as string];
      else if (r < 0.25 && !Array.isArray(parent)) (parent as Record<string, Json>)[`extra_${e}`] = pick(pool);
      else (parent as Record<string, Json>)[key as string] = pick(pool);
    }
    if (body.max_tokens === undefined) body.max_tokens = 1; // keep valid requests cheap
    const res = await fetch(`${t.base}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const text = await res.text();
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    assert.ok(res.status === 200 || (res.status >= 400 && res.status < 500), `case ${i}: ${res.status} ${text.slice(0, 300)} for ${JSON.stringify(body).slice(0, 300)}`);
    if (res.status !== 200) assert.ok(isOpenAiError(JSON.parse(text)), `case ${i}: ${text.slice(0, 300)}`);
  }
  assert.ok((statuses.get(200) ?? 0) > 10 && (statuses.get(400) ?? 0) > 100, JSON.stringify([...statuses]));
  assert.equal((await t.health()).status, "ok");
  assert.equal(t.logs.filter((l) => Number(l.level) >= 50).length, 0, "no internal errors logged");
});
