/**
 * MiniCPMV.prompt() in the authors' style against the input_ids / image_bound the authors' chat() passes
 * to generate() (test/fixtures/hf/golden.json chat_input_ids): tokenizers converted from the goldens'
 * Hugging Face tokenizer folders, the tiny checkpoint's vision configuration, the authors' crops, and
 * stand-ins for the encoders (only token ids, row positions and crop sizes are compared; the numbers
 * are checked in test/vision and the folder end-to-end test). The V4.5 video case goes through a video
 * part with the authors' temporal ids: one placeholder per group of frames.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadHfTokenizer } from "../../src/formats/hf/tokenizer.js";
import { loadHfVision } from "../../src/formats/hf/vision.js";
import type { Tokenizer } from "../../src/formats/tokenizer/index.js";
import type { LanguageModel, LlmConfig } from "../../src/models/llm/language-model.js";
import { visionConfigFromSource, type VisionModel } from "../../src/models/vision/index.js";
import type { ContentPart } from "../../src/multimodal/messages.js";
import { MiniCPMV } from "../../src/multimodal/vlm.js";
import { decodeImageFile } from "../../src/node/image-decode.js";
import { fixtureJSON, fixturePath, openFixture } from "../formats/fixture-files.js";
import { goldenTemplates, llama3Minicpmv25, qwenMinicpmv, tokenizerFolder } from "../formats/hf-tokenizer-folders.js";
import { countingModel } from "../runtime/counting-model.js";

type Version = "2.6" | "4.5" | "2.5";
const golden = fixtureJSON("hf/golden.json");
const cases = golden.chat_input_ids.cases as any[];
const templates = goldenTemplates();

const tokenizers = new Map<string, Promise<Tokenizer>>();
function tokenizerFor(v: Version): Promise<Tokenizer> {
  let t = tokenizers.get(v);
  if (!t) {
    const files = v === "2.5" ? llama3Minicpmv25(templates["2.5"]) : qwenMinicpmv();
    files.config.chat_template = templates[v];
    t = loadHfTokenizer(tokenizerFolder(`minicpmv-${v}`, files)).then((r) => r.tokenizer);
    tokenizers.set(v, t);
  }
  return t;
}

/**
 * The vision side of the tiny authors' checkpoint of version v (2.5: the 96-query resampler): its real
 * configuration (version, queries, sizes) with a stand-in encoder giving each crop Q zero rows.
 */
const visions = new Map<string, Promise<VisionModel>>();
function visionFor(v: Version): Promise<VisionModel> {
  let m = visions.get(v);
  if (!m) {
    m = (async () => {
      const weights = await openFixture("hf/weights/tiny_q64.safetensors");
      const config = { ...fixtureJSON("hf/weights/tiny_q64_v2_6.config.json"), version_of_remote_code: Number(v) };
      const src = await loadHfVision({ name: `tiny-${v}`, config, weights: [weights] });
      await src.close();
      const real = visionConfigFromSource(src);
      const cfg = v === "2.5" ? { ...real, queryNum: 96 } : real;
      const rows = () => new Float32Array(cfg.queryNum * cfg.outDim);
      return {
        config: cfg,
        encode: (crops, opts) => ({ embeddings: (opts?.temporalIds ?? crops).map(rows) }),
        tower: () => { throw new Error("not used"); },
        resample: () => { throw new Error("not used"); },
      } satisfies VisionModel;
    })();
    visions.set(v, m);
  }
  return m;
}

/** A stand-in LLM: the family and width of the version's language model (the prompt needs nothing else). */
function standInLlm(v: Version): LanguageModel {
  const m = countingModel();
  const config: LlmConfig = { ...m.config, arch: v === "2.5" ? "llama" : v === "2.6" ? "qwen2" : "qwen3", nEmbd: 256 };
  return { ...m, config };
}

/** One model per version, so each image is encoded once (MiniCPMV caches encoded images). */
const vlms = new Map<string, Promise<MiniCPMV>>();
function vlmFor(v: Version): Promise<MiniCPMV> {
  let m = vlms.get(v);
  if (!m) {
    m = Promise.all([tokenizerFor(v), visionFor(v)])
      .then(([tokenizer, vision]) => new MiniCPMV({ llm: standInLlm(v), vision, tokenizer, chatTemplate: templates[v], name: `MiniCPM-V ${v}` }));
    vlms.set(v, m);
  }
  return m;
}

test("the rebuilt tokenizer folders are the goldens' (tokenizer_config.json copies, special token ids)", async () => {
  const configs = { qwen_minicpmv: qwenMinicpmv().config, llama3_minicpmv25: llama3Minicpmv25(templates["2.5"]).config };
  for (const [dir, cfg] of Object.entries(configs)) {
    assert.deepEqual(cfg, fixtureJSON(`hf/tokenizers/${dir}/tokenizer_config.json`), dir);
    const tok = await tokenizerFor(dir === "qwen_minicpmv" ? "4.5" : "2.5");
    for (const [text, id] of Object.entries(golden.tokenizers[dir].special_token_ids)) assert.equal(tok.tokenId(text), id, `${dir} ${text}`);
  }
});

function questionOf(c: any): string {
  if (c.question) return c.question;
  const m = /\(<image>\.\/<\/image>\)\n([^<]*)<\|eot_id\|>/.exec(c.prompt);
  assert.ok(m, `question in ${JSON.stringify(c.prompt)}`);
  return m[1];
}

for (const c of cases) {
  const v = String(c.layout_version) as Version;
  const video = c.chat_kwargs?.temporal_ids !== undefined;
  test(`authors' prompt ids: ${c.label}`, async () => {
    const vlm = await vlmFor(v);
    const tokenizer = vlm.tokenizer;
    const content: ContentPart[] = [];
    if (video) {
      const frames = await Promise.all(c.images.map((name: string) => decodeImageFile(fixturePath(`hf/video_frames/${name}.png`))));
      content.push({ type: "video", frames, temporalIds: c.chat_kwargs.temporal_ids });
    } else {
      for (const name of c.images) content.push({ type: "image", image: await decodeImageFile(fixturePath(`hf/images/${name}.png`)) });
    }
    content.push({ type: "text", text: questionOf(c) });
    const kw = c.chat_kwargs ?? {};
    const layout = await vlm.prompt([{ role: "user", content }], {
      style: "authors", useImageId: kw.use_image_id, maxSliceNums: kw.max_slice_nums, enableThinking: kw.enable_thinking,
    });
    assert.equal(layout.text, c.prompt, "templated prompt");

    // our rows: text ids, and embedding runs where the authors have their <unk> runs
    const ids: (number | null)[] = [];
    const bounds: number[][] = [];
    for (const s of layout.segments) {
      if (s.kind === "tokens") ids.push(...s.ids);
      else {
        assert.equal(s.rows.length, s.n * 256, "rows of the LLM width");
        bounds.push([ids.length, ids.length + s.n]);
        for (let i = 0; i < s.n; i++) ids.push(null);
      }
    }
    assert.deepEqual(bounds, c.image_bound, "image_bound");
    const placed = [...layout.imageRows, ...layout.videoRows].map((r) => [r.start, r.start + r.n]).sort((a, b) => a[0] - b[0]);
    assert.deepEqual(placed, bounds, "imageRows / videoRows name the rows where the blocks went");
    assert.equal(ids.length, c.input_ids.length, "prompt length");
    const unk = tokenizer.tokenId("<unk>");
    const expected = c.input_ids.map((id: number, i: number) => (bounds.some(([s, e]) => i >= s && i < e) ? (assert.equal(id, unk), null) : id));
    assert.deepEqual(ids, expected, "text token ids");

    // and the crops were cut as the authors' processor cut them
    const sizes = vlm.lastImages.flatMap((p) => p.crops.map((k) => [k.image.height / 14, k.image.width / 14]));
    assert.deepEqual(sizes, c.tgt_sizes_hw, "tgt_sizes_hw");
  });
}

test("video parts: frames without temporal ids are images with no image id; temporal ids need V4.5 and must cover the frames", async () => {
  const frames = await Promise.all([0, 1, 2].map((i) => decodeImageFile(fixturePath(`hf/video_frames/frame${i}.png`))));
  const v45 = await vlmFor("4.5");
  const plain = await v45.prompt([{ role: "user", content: [{ type: "video", frames }, { type: "text", text: "What moves?" }] }]);
  const unk = v45.tokenizer.tokenId("<unk>")!;
  const runs = plain.segments.filter((s) => s.kind === "embeddings").length;
  assert.equal(runs, 3, "one placeholder per frame");
  assert.equal(plain.videoRows.length, 3);
  const ids = plain.segments.flatMap((s) => (s.kind === "tokens" ? s.ids : []));
  assert.ok(!ids.includes(v45.tokenizer.tokenId("<image_id>")!), "no <image_id> for video frames");
  assert.ok(!ids.includes(unk));

  const grouped = await v45.prompt([{ role: "user", content: [{ type: "video", frames, temporalIds: [[0, 5], [10]] }, { type: "text", text: "What moves?" }] }]);
  assert.deepEqual(grouped.videoRows.map((r) => r.group), [0, 1]);

  const v26 = await vlmFor("2.6");
  await assert.rejects(v26.prompt([{ role: "user", content: [{ type: "video", frames, temporalIds: [[0, 1, 2]] }] }]), /no 3-D resampler/);
  await assert.rejects(v45.prompt([{ role: "user", content: [{ type: "video", frames, temporalIds: [[0, 1]] }] }]), /split its 3 frames/);
  await assert.rejects(v45.prompt([{ role: "user", content: [{ type: "video", frames: [] }] }]), /at least one frame/);
  await assert.rejects(v45.prompt([{ role: "assistant", content: [{ type: "video", frames }] }]), /only allowed in user messages/);
});
