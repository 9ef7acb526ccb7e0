/** Video input in Node: animated GIF / folder decoding, the frames the model sees, and `pocketvlm chat --video`. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { generateClip, renderClipFrame, Rng } from "../../src/datasets/shapesworld/index.js";
import { openVideo, videoPartOf } from "../../src/node/video-decode.js";

const run = promisify(execFile);
const clip = generateClip(new Rng(7), 6);
const frames = Array.from({ length: clip.frames }, (_, i) => renderClipFrame(clip, i));

/** The clip as an animated GIF, `delayMs` per frame. */
async function gifOf(delayMs: number): Promise<Buffer> {
  const { width, height } = frames[0];
  const raw = Buffer.concat(frames.map((f) => Buffer.from(f.data)));
  return sharp(raw, { raw: { width, height: height * frames.length, channels: 3, pageHeight: height } })
    .gif({ delay: frames.map(() => delayMs), loop: 0 }).toBuffer();
}

test("an animated GIF: frame count, rate from the delays, frames in order", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "pocketvlm-video-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "clip.gif");
  await writeFile(path, await gifOf(500));
  const v = await openVideo(path);
  assert.equal(v.frameCount, 6);
  assert.equal(v.fps, 2);
  const mover = frames[0];
  const first = await v.frame(0);
  assert.deepEqual([first.width, first.height], [mover.width, mover.height]);
  // the moving shape is where the generator drew it (GIF palette quantisation moves colours a little)
  for (const i of [0, 5]) {
    const [px, py] = clip.mover.path[i];
    const img = await v.frame(i);
    const k = (Math.round(py) * img.width + Math.round(px)) * 3;
    const want = frames[i].data.subarray(k, k + 3);
    assert.ok(Math.abs(img.data[k] - want[0]) + Math.abs(img.data[k + 1] - want[1]) + Math.abs(img.data[k + 2] - want[2]) < 40, `frame ${i} centre pixel`);
  }
  await assert.rejects(v.frame(6), RangeError);

  // 3 s at 2 fps: V4.5 samples every frame (3 fps > 2), one group each, ids = timestamps in 0.1 s;
  // without the 3-D resampler, 1 frame per second (frames 1, 3, 5)
  const part = await videoPartOf(v, { temporal: true });
  assert.equal(part.frames.length, 6);
  assert.deepEqual(part.temporalIds, [[0], [5], [10], [15], [20], [25]]);
  const plain = await videoPartOf(v, { temporal: false });
  assert.equal(plain.frames.length, 3);
  assert.deepEqual(plain.frames[1].data, (await v.frame(3)).data);
  assert.equal(plain.temporalIds, undefined);
  const packed = await videoPartOf(v, { temporal: true, forcePacking: 3 });
  assert.deepEqual(packed.temporalIds, [[0, 5, 10], [15, 20, 25]]);
});

test("a folder of frames: numeric name order, the given rate; clear errors for stills and empty folders", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "pocketvlm-frames-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const folder = join(dir, "frames");
  await mkdir(folder);
  const { width, height } = frames[0];
  for (const [name, i] of [["f10.png", 2], ["f2.png", 1], ["f1.png", 0]] as const) {
    await sharp(Buffer.from(frames[i].data), { raw: { width, height, channels: 3 } }).png().toFile(join(folder, name));
  }
  await writeFile(join(folder, "notes.txt"), "not a frame");
  const v = await openVideo(folder, { folderFps: 4 });
  assert.equal(v.frameCount, 3);
  assert.equal(v.fps, 4);
  for (let i = 0; i < 3; i++) assert.deepEqual((await v.frame(i)).data, frames[i].data, `frame ${i}`);

  await assert.rejects(openVideo(join(folder, "f1.png")), /not an animated GIF or WebP/);
  await mkdir(join(dir, "empty"));
  await assert.rejects(openVideo(join(dir, "empty")), /no frame images/);
  await assert.rejects(openVideo(join(dir, "nope.gif")), /cannot read the video/);
  await assert.rejects(openVideo(folder, { folderFps: 0 }), /must be positive/);
});

test("pocketvlm chat --video (and --frame-fusion): the built-in model (V4.5 layout) sees one 64-row group per 3 frames", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "pocketvlm-video-cli-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "clip.gif");
  await writeFile(path, await gifOf(500));
  const { stdout } = await run(process.execPath, ["--import", "tsx", "src/cli/run.ts", "chat", "--video", path, "--packing", "3",
    "--json", "--max-tokens", "4", "--threads", "1", "Which way does the shape move?"]);
  const out = JSON.parse(stdout.trim().split("\n").pop()!);
  assert.equal(out.crops.length, 6, "six frames, each one unsliced crop");
  for (const c of out.crops) assert.deepEqual([c.grid, c.crops.length], [null, 1]);
  // two groups of three frames: two placeholders of 64 rows, plus the text
  assert.ok(out.prompt_rows > 128 && out.prompt_rows < 128 + 40, `prompt rows ${out.prompt_rows}`);
  assert.equal(typeof out.answer, "string");

  const fused = await run(process.execPath, ["--import", "tsx", "src/cli/run.ts", "chat", "--video", path, "--packing", "3",
    "--frame-fusion", "0.5", "--json", "--max-tokens", "4", "--threads", "1", "Which way does the shape move?"]);
  const ff = JSON.parse(fused.stdout.trim().split("\n").pop()!).frame_fusion;
  assert.equal(ff.videoRows, 128);
  assert.ok(ff.merged + ff.pruned > 0, JSON.stringify(ff));
  await assert.rejects(run(process.execPath, ["--import", "tsx", "src/cli/run.ts", "chat", "Hello?", "--frame-fusion"]), /--frame-fusion works on a --video/);
});
