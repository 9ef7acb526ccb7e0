/**
 * Video input for Node: an animated GIF / WebP (decoded by sharp, frame rate from the frame delays) or a
 * folder of frame images (sorted by name, at a given rate). Frames are decoded on demand, so a long
 * animation costs only the frames the model looks at.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import sharp, { type Metadata } from "sharp";
import { UserError } from "../errors.js";
import type { RgbImage } from "../multimodal/image/rgb-image.js";
import type { VideoPart } from "../multimodal/messages.js";
import { planVideoFrames, type VideoPlan, type VideoPlanOptions } from "../multimodal/video/plan-frames.js";
import { DEFAULT_MAX_PIXELS, decodeImageFile, toRgb } from "./image-decode.js";

export interface VideoSource {
  readonly frameCount: number;
  /** Average frames per second. */
  readonly fps: number;
  frame(index: number): Promise<RgbImage>;
}

const FRAME_FILE = /\.(png|jpe?g|webp|gif|tiff?)$/i;
/** Browsers show a GIF frame whose delay is under 20 ms for 100 ms; so do we. */
const MIN_DELAY_MS = 20;
const DEFAULT_DELAY_MS = 100;

export interface OpenVideoOptions {
  /** Frame rate of a folder of frames (default 10). */
  readonly folderFps?: number;
  readonly maxPixels?: number;
}

export async function openVideo(path: string, opts: OpenVideoOptions = {}): Promise<VideoSource> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (e) {
    throw new UserError("missing", `${path}: cannot read the video (${(e as Error).message})`, { cause: e });
  }
  return isDir ? openFrameFolder(path, opts.folderFps ?? 10) : openAnimation(path, opts.maxPixels ?? DEFAULT_MAX_PIXELS);
}

async function openFrameFolder(dir: string, fps: number): Promise<VideoSource> {
  if (!(fps > 0)) throw new UserError("bad_argument", `the frame rate of a folder of frames must be positive, got ${fps}`);
  const files = (await readdir(dir)).filter((f) => FRAME_FILE.test(f)).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  if (files.length === 0) throw new UserError("bad_argument", `${dir}: no frame images (PNG, JPEG, WebP, GIF, TIFF) in the folder`);
  return { frameCount: files.length, fps, frame: (i) => decodeImageFile(join(dir, files[i])) };
}

async function openAnimation(path: string, maxPixels: number): Promise<VideoSource> {
  return openAnimationBytes(await readFile(path), path, maxPixels);
}

/** An animated GIF / WebP in memory (`name` for messages); frames decoded on demand. */
export async function openAnimationBytes(bytes: Uint8Array, name: string, maxPixels = DEFAULT_MAX_PIXELS): Promise<VideoSource> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { animated: true, limitInputPixels: false }).metadata();
  } catch (e) {
    throw new UserError("bad_image", `${name}: not a readable animation (${(e as Error).message})`, { cause: e });
  }
  const pages = meta.pages ?? 1;
  if (pages < 2 || (meta.format !== "gif" && meta.format !== "webp")) {
    throw new UserError("bad_argument", `${name}: not an animated GIF or WebP (${meta.format}, ${pages} frame${pages === 1 ? "" : "s"}); pass an animation or a folder of frames`);
  }
  const height = meta.pageHeight ?? meta.height;
  if (meta.width * height > maxPixels) throw new UserError("bad_image", `${name}: ${meta.width}x${height} frames exceed the limit of ${maxPixels} pixels`);
  const delays = Array.from({ length: pages }, (_, i) => meta.delay?.[i] ?? DEFAULT_DELAY_MS).map((d) => (d < MIN_DELAY_MS ? DEFAULT_DELAY_MS : d));
  const seconds = delays.reduce((s, d) => s + d, 0) / 1000;
  return {
    frameCount: pages,
    fps: pages / seconds,
    async frame(i) {
      if (!Number.isInteger(i) || i < 0 || i >= pages) throw new RangeError(`frame ${i} of ${pages}`);
      const { data, info } = await sharp(bytes, { page: i, pages: 1, limitInputPixels: maxPixels }).raw().toBuffer({ resolveWithObject: true });
      return toRgb(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info.width, info.height, info.channels, `${name} frame ${i}`);
    },
  };
}

export interface VideoPartOptions extends VideoPlanOptions {
  /** Group frames for MiniCPM-V 4.5's 3-D resampler (temporal ids); otherwise each frame is an image. */
  readonly temporal: boolean;
}

/**
 * Which frames the model looks at: with `temporal`, the authors' V4.5 sampling (3 fps, packing for long
 * videos); without, one frame per second, at most 64 (their V2.6 recipe), each its own group.
 */
export function videoPlanOf(video: VideoSource, opts: VideoPartOptions): VideoPlan {
  return opts.temporal
    ? planVideoFrames(video.frameCount, video.fps, opts)
    : planVideoFrames(video.frameCount, video.fps, { chooseFps: opts.chooseFps ?? 1, maxSlots: 64, maxPacking: 1 });
}

/** Those frames, decoded, as a chat content part (`plan`: when the caller already made it). */
export async function videoPartOf(video: VideoSource, opts: VideoPartOptions, plan = videoPlanOf(video, opts)): Promise<VideoPart> {
  const frames: RgbImage[] = [];
  for (const i of plan.frameIndices) frames.push(await video.frame(i));
  return opts.temporal ? { type: "video", frames, temporalIds: plan.temporalIds } : { type: "video", frames };
}
