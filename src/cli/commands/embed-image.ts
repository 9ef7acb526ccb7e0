import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { Option, type Command } from "commander";
import type { Backend } from "../../compute/backend.js";
import { UserError } from "../../errors.js";
import { readGGUF } from "../../formats/gguf/reader.js";
import { loadHfVision } from "../../formats/hf/vision.js";
import type { ByteSource } from "../../io/byte-source.js";
import { loadMmproj, loadVisionModel, visionConfigFromSource, type VisionModel, type VisionNumerics } from "../../models/vision/index.js";
import { toPixelValues } from "../../multimodal/image/pixel-values.js";
import { preprocessImage, type PreprocessedImage } from "../../multimodal/image/preprocess.js";
import { fileSource } from "../../node/file-source.js";
import { folderReader } from "../../node/folder-reader.js";
import { decodeImageFile } from "../../node/image-decode.js";
import { createBackend, type BackendChoice } from "../../node/load-llm.js";
import { positiveInt } from "../options.js";
import { localModelPaths } from "../../node/hub-model.js";
import { float32LE } from "./logits.js";

interface EmbedImageFlags {
  mmproj: string;
  image: string;
  preprocess: "reference" | "llamacpp";
  maxSlices?: string;
  numerics: VisionNumerics;
  out: string;
  backend: BackendChoice;
  threads?: string;
}

interface OpenedVision {
  readonly model: VisionModel;
  readonly kind: "mmproj" | "safetensors";
  close(): Promise<void>;
}

/**
 * The vision projector at `path`: an mmproj GGUF, an authors' checkpoint folder, or one authors'
 * safetensors file with its config.json beside it.
 */
async function openVision(path: string, backend: Backend): Promise<OpenedVision> {
  const isDir = await stat(path).then((s) => s.isDirectory(), () => false);
  if (isDir) {
    const src = await loadHfVision(await folderReader(path));
    try {
      return { model: await loadVisionModel(src, visionConfigFromSource(src), backend), kind: "safetensors", close: () => src.close() };
    } catch (e) {
      await src.close();
      throw e;
    }
  }
  const bytes = await fileSource(path);
  try {
    const magic = await bytes.read(0, Math.min(4, bytes.size));
    if (new TextDecoder().decode(magic) === "GGUF") {
      const { source, config } = loadMmproj(await readGGUF(bytes));
      const model = await loadVisionModel(source, config, backend);
      await bytes.close?.();
      return { model, kind: "mmproj", close: async () => {} };
    }
    return await openSafetensorsFile(path, bytes, backend);
  } catch (e) {
    await bytes.close?.();
    throw e;
  }
}

async function openSafetensorsFile(path: string, weights: ByteSource, backend: Backend): Promise<OpenedVision> {
  const configPath = join(dirname(path), "config.json");
  let config: unknown;
  try {
    config = JSON.parse(await readFile(configPath, "utf8"));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "is missing" : `cannot be read (${(e as Error).message})`;
    throw new UserError("missing", `${path}: not a GGUF file, and as a safetensors checkpoint it needs ${configPath}, which ${why}`);
  }
  const src = await loadHfVision({ name: path, config, weights: [weights] });
  return { model: await loadVisionModel(src, visionConfigFromSource(src), backend), kind: "safetensors", close: () => src.close() };
}

/** What crops.json says about the image and each crop's output file. */
function describe(f: EmbedImageFlags, pre: PreprocessedImage, model: VisionModel, maxSlices: number | undefined, kind: string) {
  const c = model.config;
  return {
    image: f.image,
    mmproj: f.mmproj,
    source: kind,
    minicpmv_version: c.version,
    preprocess: f.preprocess,
    max_slices: maxSlices ?? 9,
    numerics: f.numerics,
    original_size: pre.original,
    grid: pre.grid,
    overview_size: pre.overview,
    refined_size: pre.refined ?? null,
    queries: c.queryNum,
    width: c.outDim,
    dtype: "float32",
    layout: "little-endian, row-major [queries, width]",
    crops: pre.crops.map((crop, i) => ({
      index: i,
      file: `crop-${i}.f32`,
      kind: crop.kind,
      size: [crop.image.width, crop.image.height],
      patches: [crop.image.height / c.patchSize, crop.image.width / c.patchSize],
      row: crop.row,
      col: crop.col,
      box: crop.box ?? null,
    })),
  };
}

/**
 * Writes the files into `<out>.partial-<pid>` and renames that to `out` at the end, so `out` is either
 * complete or absent. A previous result (a folder with crops.json) is replaced; anything else is refused.
 */
async function writeOutputs(out: string, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
  const existing = await stat(out).then((s) => s, () => undefined);
  if (existing) {
    const ours = existing.isDirectory() && (await stat(join(out, "crops.json")).then(() => true, () => false));
    if (!ours) throw new UserError("bad_argument", `--out ${out}: exists and is not an earlier embed-image result; choose another folder`);
  }
  const partial = `${out}.partial-${process.pid}`;
  const old = `${out}.old-${process.pid}`;
  try {
    await mkdir(partial, { recursive: false });
    for (const [name, data] of files) await writeFile(join(partial, name), data);
    if (existing) await rename(out, old);
    await rename(partial, out);
  } catch (e) {
    await rm(partial, { recursive: true, force: true });
    if (existing && !(await stat(out).then(() => true, () => false))) await rename(old, out).catch(() => undefined);
    const code = (e as NodeJS.ErrnoException).code;
    if (code) throw new UserError("bad_argument", `--out ${out}: cannot write (${code})`, { cause: e });
    throw e;
  }
  if (existing) await rm(old, { recursive: true, force: true });
}

/** `pocketvlm embed-image`: an image's crops through the vision tower and resampler, to float32 files. */
export function registerEmbedImage(program: Command): void {
  program
    .command("embed-image")
    .description("cut an image into crops, run them through the vision tower and resampler, and write each crop's embeddings (float32 [queries, width]) plus crops.json to a folder")
    .requiredOption("--mmproj <path>", "vision projector: mmproj GGUF, an authors' checkpoint folder, or its safetensors file (config.json beside it), or a Hub repo hf:owner/name (its projector)")
    .requiredOption("--image <file>", "image file (PNG, JPEG, WebP, GIF, TIFF)")
    .addOption(new Option("--preprocess <policy>", "how the image is cut into crops").choices(["reference", "llamacpp"]).default("reference"))
    .option("--max-slices <n>", "most slices (default 9)")
    .addOption(new Option("--numerics <kind>", "reference (the authors' float32) or llamacpp (llama.cpp's f16 roundings)").choices(["reference", "llamacpp"]).default("reference"))
    .requiredOption("--out <dir>", "output folder (created; an earlier result there is replaced)")
    .addOption(new Option("--backend <name>", "compute backend").choices(["auto", "js", "wasm"]).default("auto"))
    .option("--threads <n>", "worker threads (WebAssembly backend)")
    .action(async (f: EmbedImageFlags) => {
      const maxSlices = positiveInt("--max-slices", f.maxSlices);
      const threads = positiveInt("--threads", f.threads);
      if (basename(f.out) === "") throw new UserError("bad_argument", `--out "${f.out}" is not a folder name`);
      // a bad image fails before the (slower) model load
      const rgb = await decodeImageFile(f.image, { flavour: f.preprocess === "llamacpp" ? "llamacpp" : "pil" });
      const pre = preprocessImage(rgb, { policy: f.preprocess, maxSliceNums: maxSlices });
      const t0 = performance.now();
      const backend = await createBackend({ backend: f.backend, threads });
      try {
        const vision = await openVision((await localModelPaths(undefined, f.mmproj)).mmproj!, backend);
        try {
          const t1 = performance.now();
          const c = vision.model.config;
          const norm = { mean: c.imageMean, std: c.imageStd };
          const crops = pre.crops.map((k) => ({ pixels: toPixelValues(k.image, norm), height: k.image.height, width: k.image.width }));
          const { embeddings } = vision.model.encode(crops, { numerics: f.numerics });
          const t2 = performance.now();
          const info = describe(f, pre, vision.model, maxSlices, vision.kind);
          const files = new Map<string, Uint8Array>();
          embeddings.forEach((e, i) => files.set(`crop-${i}.f32`, float32LE(e)));
          files.set("crops.json", new TextEncoder().encode(`${JSON.stringify(info, null, 2)}\n`));
          await writeOutputs(f.out, files);
          console.log(JSON.stringify({
            out: f.out, crops: embeddings.length, grid: pre.grid, queries: c.queryNum, width: c.outDim,
            backend: backend.name, load_ms: Math.round(t1 - t0), encode_ms: Math.round(t2 - t1),
          }));
        } finally {
          await vision.close();
        }
      } finally {
        await backend.dispose();
      }
    });
}
