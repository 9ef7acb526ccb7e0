/**
 * One image -> the crops the vision tower encodes (overview first, then slices row-major), under one of
 * three policies:
 * - "reference": the authors' processor (PIL antialiased bicubic everywhere);
 * - "llamacpp":  llama.cpp mtmd's llava-uhd preprocessing, byte-exact (bilinear overview stretched or
 *                area-resized, bicubic refined image letterboxed with black, float32 sizes);
 * - "bluelm":    the authors' resizes with BlueLM-V-3B's relaxed grid choice (bluelm-slicing.ts).
 */
import { UserError } from "../../errors.js";
import { type RgbImage, cropRgbImage } from "./rgb-image.js";
import { resizePil } from "./pil-resize.js";
import { resizeLlamacpp } from "./llamacpp-resize.js";
import { type Box, type Grid, type Size, type SliceOptions, type SlicePlan, DEFAULT_SLICE_OPTIONS, planReference } from "./slicing.js";
import { planLlamacpp } from "./llamacpp-slicing.js";
import { DEFAULT_BLUELM_MARGIN, planBluelm } from "./bluelm-slicing.js";

export type PreprocessPolicy = "reference" | "llamacpp" | "bluelm";

export interface PreprocessOptions extends Partial<SliceOptions> {
  policy: PreprocessPolicy;
  /** "bluelm" only: relative gain in effective resolution a larger grid must bring (default 0.1). */
  bluelmMargin?: number;
}

export interface Crop {
  kind: "overview" | "slice";
  /** grid position; 0/0 for the overview */
  row: number;
  col: number;
  /** slices only: the crop box in the refined image */
  box?: Box;
  image: RgbImage;
}

export interface PreprocessedImage {
  original: Size;
  overview: Size;
  refined?: Size;
  grid: Grid | null;
  crops: Crop[];
}

function checkOptions(o: SliceOptions, margin: number | undefined): void {
  for (const [k, v] of Object.entries(o)) {
    if (!Number.isInteger(v) || v < 1) throw new UserError("bad_argument", `image option ${k} must be a positive integer, got ${String(v)}`);
  }
  if (margin !== undefined && !(margin >= 0 && Number.isFinite(margin))) {
    throw new UserError("bad_argument", `image option bluelmMargin must be a number >= 0, got ${String(margin)}`);
  }
}

/** Sizes, grid and crop boxes only (no pixels). */
export function planImage(size: Size, opts: PreprocessOptions): SlicePlan {
  if (!size.every((v) => Number.isInteger(v) && v > 0)) throw new RangeError(`image size must be positive integers, got ${size.join("x")}`);
  const sliceOpts: SliceOptions = {
    maxSliceNums: opts.maxSliceNums ?? DEFAULT_SLICE_OPTIONS.maxSliceNums,
    scaleResolution: opts.scaleResolution ?? DEFAULT_SLICE_OPTIONS.scaleResolution,
    patchSize: opts.patchSize ?? DEFAULT_SLICE_OPTIONS.patchSize,
  };
  checkOptions(sliceOpts, opts.bluelmMargin);
  switch (opts.policy) {
    case "reference":
      return planReference(size, sliceOpts);
    case "llamacpp":
      return planLlamacpp(size, sliceOpts);
    case "bluelm":
      return planBluelm(size, sliceOpts, opts.bluelmMargin ?? DEFAULT_BLUELM_MARGIN);
    default:
      throw new UserError("bad_argument", `unknown image preprocessing policy "${String((opts as { policy: unknown }).policy)}" (reference, llamacpp, bluelm)`);
  }
}

export function preprocessImage(img: RgbImage, opts: PreprocessOptions): PreprocessedImage {
  if (img.data.length !== img.width * img.height * 3 || img.width < 1 || img.height < 1) {
    throw new RangeError(`malformed RgbImage: ${img.width}x${img.height} with ${img.data.length} bytes`);
  }
  const plan = planImage([img.width, img.height], opts);
  const llama = opts.policy === "llamacpp";
  const overview = llama
    ? resizeLlamacpp(img, plan.overview[0], plan.overview[1], "bilinear", "none")
    : resizePil(img, plan.overview[0], plan.overview[1], "bicubic");
  const crops: Crop[] = [{ kind: "overview", row: 0, col: 0, image: overview }];
  const result: PreprocessedImage = { original: plan.original, overview: plan.overview, grid: plan.grid, crops };
  if (plan.refined !== null) {
    const [rw, rh] = plan.refined;
    const refined = llama ? resizeLlamacpp(img, rw, rh, "bicubic", "ceil") : resizePil(img, rw, rh, "bicubic");
    result.refined = plan.refined;
    for (const s of plan.slices) {
      crops.push({ kind: "slice", row: s.row, col: s.col, box: s.box, image: cropRgbImage(refined, ...s.box) });
    }
  }
  return result;
}
