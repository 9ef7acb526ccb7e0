import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { JsBackend } from "../../src/compute/js/js-backend.js";
import { readGGUF } from "../../src/formats/gguf/reader.js";
import type { GGUFFile } from "../../src/formats/gguf/types.js";
import { loadMmproj } from "../../src/models/vision/mmproj.js";
import { toPixelValues } from "../../src/multimodal/image/pixel-values.js";
import { preprocessImage } from "../../src/multimodal/image/preprocess.js";
import { decodeImage } from "../../src/node/image-decode.js";
import { loadVisionModel, type VisionModel } from "../../src/models/vision/vision-model.js";
import type { VisionCrop } from "../../src/models/vision/siglip.js";
import { fileSource } from "../../src/node/file-source.js";

const HERE = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(HERE, "..", "fixtures");
export const SRC = join(HERE, "..", "..", "src");
export const HF = join(FIXTURES, "hf");
export const LLAMACPP_45 = join(FIXTURES, "llamacpp", "minicpmv-4.5");
export const TINY_MMPROJ = join(HF, "gguf", "mmproj-tiny_q64-minicpmv_version3-f16.gguf");

export function readJson<T = any>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

export function readF32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export function readI32(path: string): Int32Array {
  const b = readFileSync(path);
  return new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export interface Diff {
  maxAbs: number;
  /** maxAbs / max |reference| */
  rel: number;
}

export function diff(got: Float32Array, ref: Float32Array): Diff {
  if (got.length !== ref.length) throw new Error(`length ${got.length} != reference ${ref.length}`);
  let maxAbs = 0;
  let refMax = 0;
  for (let i = 0; i < ref.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(got[i] - ref[i]));
    refMax = Math.max(refMax, Math.abs(ref[i]));
  }
  return { maxAbs, rel: maxAbs / refMax };
}

export function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export async function openGGUF(path: string): Promise<GGUFFile> {
  return readGGUF(await fileSource(path));
}

const models = new Map<string, Promise<VisionModel>>();

/** The vision model of an mmproj file on the f32 reference backend (loaded once per file). */
export function mmprojModel(path: string): Promise<VisionModel> {
  let m = models.get(path);
  if (!m) {
    m = openGGUF(path).then(async (f) => {
      const { source, config } = loadMmproj(f);
      try {
        return await loadVisionModel(source, config, new JsBackend());
      } finally {
        await f.source.close?.();
      }
    });
    models.set(path, m);
  }
  return m;
}

/** An image file that is already a crop (no resize), decoded and normalised as the pipeline does. */
export async function cropFromFile(path: string, flavour: "pil" | "llamacpp" = "pil"): Promise<VisionCrop> {
  const rgb = await decodeImage(readFileSync(path), { flavour, name: path });
  return { pixels: toPixelValues(rgb), height: rgb.height, width: rgb.width };
}

/** CHW crop from the authors' `reshape_by_patch` layout `[3, p, L·p]` (patches side by side, raster order). */
export function fromPatchStrips(strips: Float32Array, h: number, w: number, p = 14): VisionCrop {
  const L = h * w;
  const H = h * p;
  const W = w * p;
  const pixels = new Float32Array(3 * H * W);
  for (let c = 0; c < 3; c++) {
    for (let l = 0; l < L; l++) {
      const py = Math.floor(l / w);
      const px = l % w;
      for (let ky = 0; ky < p; ky++) {
        for (let kx = 0; kx < p; kx++) {
          pixels[c * H * W + (py * p + ky) * W + px * p + kx] = strips[c * p * L * p + ky * L * p + l * p + kx];
        }
      }
    }
  }
  return { pixels, height: H, width: W };
}

/** The crop after preprocessing, as the tower takes it. */
export interface PreparedCrop extends VisionCrop {
  readonly kind: string;
}

/** An image file through src/multimodal/image/ (decode → crops → normalised CHW), as the pipeline does it. */
export async function preprocess(path: string, policy: "reference" | "llamacpp"): Promise<PreparedCrop[]> {
  const rgb = await decodeImage(readFileSync(path), { flavour: policy === "llamacpp" ? "llamacpp" : "pil", name: path });
  return preprocessImage(rgb, { policy }).crops.map((c) => ({
    kind: c.kind, pixels: toPixelValues(c.image), height: c.image.height, width: c.image.width,
  }));
}
