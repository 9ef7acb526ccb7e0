/**
 * The server's research extensions on the built-in ShapesWorld model: `frame_fusion` on chat
 * completions with a video (FrameFusion during the prefill, reported as the library reports it) and
 * `POST /v1/ground` (TAG: the library's groundByAttention, in pixels and MiniCPM-V's 0–1000).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import sharp from "sharp";
import { dataUri, rgbPng } from "../../bench/server/png.js";
import { clipQuestions, generateClip, generateScene, renderClipFrame, renderScene, Rng } from "../../src/datasets/shapesworld/index.js";
import { groundByAttention } from "../../src/grounding/ground.js";
import { pointTo1000, boxTo1000 } from "../../src/grounding/report.js";
import { decodeImage } from "../../src/node/image-decode.js";
import { openVlm, type OpenedVlm } from "../../src/node/open-vlm.js";
import { openAnimationBytes, videoPartOf } from "../../src/node/video-decode.js";
import { BUILT_IN_NAME } from "../../src/server/start.js";
import { startTestServer, type TestServer } from "./helpers.js";

let vlm: OpenedVlm;
let t: TestServer;
before(async () => {
  vlm = await openVlm({ backend: "js" }); // the built-in model: V4.5 layout, 3-D resampler
  t = await startTestServer({}, { vlm, modelName: BUILT_IN_NAME });
});
after(async () => {
  await t.close();
  await vlm.dispose();
});

const post = (path: string, body: unknown) => fetch(`${t.base}${path}`, {
  method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
});

const clip = generateClip(new Rng(3), 6);
/** One of the clip's own questions (a direction question: the model answers it with a word). */
const QUESTION = clipQuestions(new Rng(1), clip)[0].question;

/** The ShapesWorld clip (a shape moving over still ones) as a 6-frame animated GIF, 2 frames per second. */
async function clipGif(): Promise<Buffer> {
  const frames = Array.from({ length: 6 }, (_, i) => renderClipFrame(clip, i));
  const { width, height } = frames[0];
  return sharp(Buffer.concat(frames.map((f) => Buffer.from(f.data))), { raw: { width, height: height * 6, channels: 3, pageHeight: height } })
    .gif({ delay: Array(6).fill(500) }).toBuffer();
}

let gifUri: string;
let gif: Buffer;
const videoRequest = (extra: Record<string, unknown> = {}) => ({
  model: BUILT_IN_NAME, max_tokens: 6, temperature: 0,
  messages: [{ role: "user", content: [{ type: "video_url", video_url: { url: gifUri } }, { type: "text", text: QUESTION }] }],
  ...extra,
});

test("frame_fusion: a no-op setting answers as without it; a real one reports fewer rows, as the library's chat() does", async () => {
  gif = await clipGif();
  gifUri = dataUri(gif, "image/gif");
  const plainRes = await post("/v1/chat/completions", videoRequest());
  assert.equal(plainRes.status, 200);
  const plain = await plainRes.json();
  assert.ok(!("frame_fusion" in plain), "no field, no report");
  assert.ok(plain.choices[0].message.content.length > 0, "an answer to compare");

  const noop = await (await post("/v1/chat/completions", videoRequest({ frame_fusion: { cost: 1 } }))).json();
  assert.equal(noop.choices[0].message.content, plain.choices[0].message.content);
  assert.deepEqual(noop.usage, plain.usage);
  const span = noop.frame_fusion.span_rows;
  assert.deepEqual(noop.frame_fusion, { video_rows: 6 * 64, span_rows: span, merged: 0, pruned: 0, kept_rows: span, sparsities: [] });
  assert.ok(span > 6 * 64, "the span holds the groups and the tokens between and after them");

  const off = await (await post("/v1/chat/completions", videoRequest({ frame_fusion: false }))).json();
  assert.equal(off.choices[0].message.content, plain.choices[0].message.content);
  assert.ok(!("frame_fusion" in off));

  const fused = await (await post("/v1/chat/completions", videoRequest({ frame_fusion: true }))).json();
  const rep = fused.frame_fusion;
  assert.ok(rep.merged + rep.pruned > 0.5 * rep.video_rows, `dropped ${rep.merged} + ${rep.pruned} of ${rep.video_rows}`);
  assert.equal(rep.kept_rows, rep.span_rows - rep.merged - rep.pruned);
  assert.ok(rep.kept_rows < rep.video_rows, "fewer rows than the video had");
  assert.equal(fused.usage.prompt_tokens, plain.usage.prompt_tokens, "usage counts the prompt as sent");

  // the library on the same bytes: same answer, same report
  const video = await videoPartOf(await openAnimationBytes(gif, "clip"), { temporal: vlm.hasTemporalResampler });
  const it = vlm.chat([{ role: "user", content: [video, { type: "text", text: QUESTION }] }], {
    maxTokens: 6, sampling: { temperature: 0 }, frameFusion: true,
  });
  let r = await it.next();
  while (!r.done) r = await it.next();
  assert.equal(fused.choices[0].message.content, r.value.text);
  const lib = vlm.lastFrameFusion!;
  assert.deepEqual(rep, {
    video_rows: lib.videoRows, span_rows: lib.spanRows, merged: lib.merged, pruned: lib.pruned, kept_rows: lib.keptRows, sparsities: lib.sparsities,
  });

  // streaming: the chunk with finish_reason carries the report
  const stream = await post("/v1/chat/completions", videoRequest({ frame_fusion: { cost: 0.3, similarity: 0.7, ratio_lower_bound: 0.1 }, stream: true }));
  const bodies = (await stream.text()).split("\n\n").filter((e) => e.startsWith("data: {")).map((e) => JSON.parse(e.slice(6)));
  const finish = bodies.filter((b) => b.choices[0]?.finish_reason);
  assert.equal(finish.length, 1);
  assert.deepEqual(finish[0].frame_fusion, rep, "the defaults, spelled out");
  assert.equal(bodies.map((b) => b.choices[0].delta.content ?? "").join(""), fused.choices[0].message.content);
  const line = t.logs.filter((l) => l.msg === "completion").pop()!;
  assert.deepEqual(line.frame_fusion, rep);
});

test("frame_fusion: invalid values are 400s naming the field, before any work", async () => {
  const cases: [unknown, string, string, RegExp][] = [
    [{ cost: 0 }, "invalid_value", "frame_fusion.cost", /^frame_fusion\.cost must be > 0, got 0 \(the share of the video rows' LLM compute/],
    [{ cost: 1.5 }, "invalid_value", "frame_fusion.cost", /^frame_fusion\.cost must be <= 1, got 1\.5/],
    [{ ratio_lower_bound: -0.1 }, "invalid_value", "frame_fusion.ratio_lower_bound", /must be >= 0/],
    [{ similarity: "high" }, "invalid_type", "frame_fusion.similarity", /^frame_fusion\.similarity must be a number, not a string/],
    ["yes", "invalid_type", "frame_fusion", /^frame_fusion must be a boolean or an object or null, not a string \(true, or an object with cost, similarity, ratio_lower_bound\)/],
    [{ costs: 0.3 }, "unknown_parameter", "frame_fusion.costs", /^frame_fusion: unknown field "costs"/],
  ];
  for (const [value, code, param, message] of cases) {
    const res = await post("/v1/chat/completions", videoRequest({ frame_fusion: value }));
    assert.equal(res.status, 400, JSON.stringify(value));
    const { error } = await res.json();
    assert.equal(error.type, "invalid_request_error");
    assert.equal(error.code, code, JSON.stringify(value));
    assert.equal(error.param, param);
    assert.match(error.message, message);
  }
  const noVideo = await post("/v1/chat/completions", { messages: [{ role: "user", content: "Hello" }], max_tokens: 2, frame_fusion: true });
  assert.equal(noVideo.status, 400);
  assert.deepEqual((await noVideo.json()).error, {
    message: "frame_fusion works on a video, and the request has no video_url part; leave frame_fusion out or send a video.",
    type: "invalid_request_error", param: "frame_fusion", code: "invalid_value",
  });
  const part = { type: "video_url", video_url: { url: gifUri } };
  const two = await post("/v1/chat/completions", { messages: [{ role: "user", content: [part, part] }], frame_fusion: { cost: 0.5 } });
  assert.equal(two.status, 400);
  assert.match((await two.json()).error.message, /works on one video, and the request has 2 video_url parts/);
  assert.equal((await t.health()).queue.running, 0);
});

test("chat completions keep MiniCPM-V's grounding markup in answers, as the library's chat() renders it", async () => {
  const scene = renderScene(generateScene(new Rng(4), { size: [380, 254] }));
  const png = await rgbPng(scene.data, scene.width, scene.height);
  const image = await decodeImage(png);
  for (const question of ["Point to the red circle.", "Give the bounding box of the red circle."]) {
    for (const coordinates of [undefined, "median", "greedy"] as const) {
      const res = await post("/v1/chat/completions", {
        model: BUILT_IN_NAME, max_tokens: 24, temperature: 0, ...(coordinates ? { coordinates } : {}),
        messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: dataUri(png) } }, { type: "text", text: question }] }],
      });
      assert.equal(res.status, 200);
      const answer = (await res.json()).choices[0].message.content as string;
      const it = vlm.chat([{ role: "user", content: [{ type: "image", image }, { type: "text", text: question }] }], { maxTokens: 24, sampling: { temperature: 0 }, coordinates });
      let r = await it.next();
      while (!r.done) r = await it.next();
      assert.equal(answer, r.value.text, `${question} (coordinates ${coordinates})`);
      assert.match(answer, /^<(point|box)>\d+ \d+( \d+ \d+)?<\/(point|box)>$/, "the built-in model answers with MiniCPM-V's markup");
    }
  }
  const bad = await post("/v1/chat/completions", { model: BUILT_IN_NAME, coordinates: "mean", messages: [{ role: "user", content: "hi" }] });
  assert.equal(bad.status, 400);
});

test("POST /v1/ground: the library's groundByAttention, in pixels and 0-1000, inside the image", async () => {
  const scene = renderScene(generateScene(new Rng(4), { size: [380, 254] }));
  const png = await rgbPng(scene.data, scene.width, scene.height);
  const image = await decodeImage(png);
  const res = await post("/v1/ground", { model: BUILT_IN_NAME, image_url: dataUri(png), target: "red circle" });
  assert.equal(res.status, 200);
  const g = await res.json();
  assert.equal(g.object, "grounding");
  assert.match(g.id, /^ground-/);
  assert.equal(g.model, BUILT_IN_NAME);
  assert.equal(g.question, "Point to the red circle.");
  const lib = await groundByAttention(vlm, image, "red circle");
  assert.ok(lib.point && lib.best);
  assert.deepEqual(g.point, [...lib.point]);
  assert.deepEqual(g.box, [...lib.best.box]);
  assert.equal(g.confidence, lib.best.confidence);
  assert.deepEqual(g.point_1000, pointTo1000(lib.point, 380, 254));
  assert.deepEqual(g.box_1000, boxTo1000(lib.best.box, 380, 254));
  assert.deepEqual(g.regions.map((x: { box: number[] }) => x.box), lib.regions.map((x) => [...x.box]));
  assert.deepEqual(g.image, [380, 254]);
  assert.deepEqual(g.map, [lib.map.w, lib.map.h]);
  assert.deepEqual(g.query_rows, lib.queryRows);
  assert.deepEqual(g.usage, { prompt_tokens: lib.promptRows });
  assert.ok(g.point[0] >= 0 && g.point[0] <= 380 && g.point[1] >= 0 && g.point[1] <= 254, `point ${g.point}`);
  assert.ok(g.point_1000.every((v: number) => Number.isInteger(v) && v >= 0 && v <= 1000));
  assert.ok(g.box[0] >= 0 && g.box[0] <= g.box[2] && g.box[2] <= 380 && g.box[1] >= 0 && g.box[1] <= g.box[3] && g.box[3] <= 254, `box ${g.box}`);
  assert.ok(g.box_1000[0] <= g.point_1000[0] && g.point_1000[0] <= g.box_1000[2] && g.box_1000[1] <= g.point_1000[1] && g.point_1000[1] <= g.box_1000[3]);

  // { url } as in an image_url part, and the TAG knobs: the library with the same options
  const opts = { question: "Is there a blue square here?", topHeads: 1, threshold: 0.3, maxSliceNums: 1 };
  const k = await (await post("/v1/ground", {
    image_url: { url: dataUri(png) }, target: "blue square", question: opts.question, top_heads: 1, threshold: 0.3, max_slice_nums: 1,
  })).json();
  const libK = await groundByAttention(vlm, image, "blue square", opts);
  assert.deepEqual(k.point, libK.point && [...libK.point]);
  assert.deepEqual(k.regions.map((x: { box: number[]; confidence: number }) => [x.box, x.confidence]), libK.regions.map((x) => [[...x.box], x.confidence]));
  const h = await t.health();
  assert.ok(h.groundings >= 2);
  assert.ok(t.logs.some((l) => l.msg === "grounding" && l.target === "blue square"));
});

test("POST /v1/ground: invalid requests are 400s (404 for a model) in the server's error shape", async () => {
  const png = dataUri(await rgbPng(new Uint8Array(40 * 30 * 3).fill(90), 40, 30));
  const cases: [Record<string, unknown>, number, string, string | null, RegExp][] = [
    [{ image_url: png }, 400, "missing_required_parameter", "target", /^target is required$/],
    [{ target: "red circle" }, 400, "missing_required_parameter", "image_url", /^image_url is required$/],
    [{ image_url: png, target: "   " }, 400, "invalid_value", "target", /^target "   " is not in the expected form \(the phrase to locate/],
    [{ image_url: png, target: "red circle", question: "Where is it?" }, 400, "invalid_value", "question", /does not contain the target "red circle"/],
    [{ image_url: png, target: "red circle", top_heads: 0 }, 400, "invalid_value", "top_heads", /^top_heads must be >= 1, got 0/],
    [{ image_url: png, target: "red circle", threshold: 1.5 }, 400, "invalid_value", "threshold", /^threshold must be <= 1, got 1\.5/],
    [{ image_url: png, target: "red circle", max_slice_nums: 2.5 }, 400, "invalid_type", "max_slice_nums", /must be an integer or null/],
    [{ image_url: png, target: "red circle", prompt: "x" }, 400, "unknown_parameter", "prompt", /^Unrecognized request argument supplied: prompt$/],
    [{ image_url: 5, target: "red circle" }, 400, "invalid_type", "image_url", /^image_url must be a string or an object, not a number/],
    [{ image_url: {}, target: "red circle" }, 400, "missing_required_parameter", "image_url.url", /^image_url\.url is required/],
    [{ image_url: "https://example.com/a.png", target: "red circle" }, 400, "image_url_not_allowed", "image_url", /--allow-remote-images/],
    [{ image_url: { url: "data:image/png;base64,AAAA" }, target: "red circle" }, 400, "unsupported_image_type", "image_url.url", /not PNG, JPEG, WebP, GIF or TIFF/],
    [{ image_url: png, target: "red circle", model: "gpt-4o" }, 404, "model_not_found", "model", /gpt-4o/],
  ];
  for (const [body, status, code, param, message] of cases) {
    const res = await post("/v1/ground", body);
    assert.equal(res.status, status, JSON.stringify(body));
    const { error } = await res.json();
    assert.equal(error.code, code, JSON.stringify(body));
    assert.equal(error.param, param, JSON.stringify(body));
    assert.match(error.message, message);
  }
  assert.equal((await t.health()).queue.running, 0);
});
