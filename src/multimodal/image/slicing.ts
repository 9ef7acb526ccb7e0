/**
 * The authors' slicing geometry (MiniCPM-V `image_processing_minicpmv.py`, identical in 2.5 / 2.6 / 4.5),
 * as pure size arithmetic. Python semantics are kept on purpose: `round` is half-to-even, `int()`
 * truncates, `/` is float64, and the grid search keeps the first minimum.
 *
 *   no grid  -> one crop: the image resized (up or down) to ~S² area, sides multiples of the patch
 *   grid     -> overview = resized to ~S² area (never upscaled) + refined image cut into cols x rows
 */

export type Size = [width: number, height: number];
/** [cols, rows] */
export type Grid = [cols: number, rows: number];
/** [left, top, right, bottom] in pixels of the refined image, right/bottom exclusive. */
export type Box = [left: number, top: number, right: number, bottom: number];

export interface SliceOptions {
  /** most slices of the refined image (the overview is not counted); default 9 */
  maxSliceNums: number;
  /** side S of the square area every crop is sized for; default 448 */
  scaleResolution: number;
  /** crop sides are multiples of this; default 14 */
  patchSize: number;
}

export const DEFAULT_SLICE_OPTIONS: Readonly<SliceOptions> = { maxSliceNums: 9, scaleResolution: 448, patchSize: 14 };

export interface SliceCell {
  row: number;
  col: number;
  box: Box;
}

/** Sizes and crop boxes of one image; the pixels come later (preprocess.ts). */
export interface SlicePlan {
  original: Size;
  overview: Size;
  refined: Size | null;
  grid: Grid | null;
  slices: SliceCell[];
}

/** Python's `round(x)` for floats: nearest integer, ties to even. */
export function roundHalfEven(x: number): number {
  const fl = Math.floor(x);
  const diff = x - fl;
  if (diff > 0.5) return fl + 1;
  if (diff < 0.5) return fl;
  return fl % 2 === 0 ? fl : fl + 1;
}

/** `max(round(length / p) * p, p)` */
export function ensureDivide(length: number, patchSize: number): number {
  return Math.max(roundHalfEven(length / patchSize) * patchSize, patchSize);
}

/** `find_best_resize`: scale to ~S² area keeping the aspect ratio (only when larger than S², unless
 *  upscaling is allowed), then snap each side to a multiple of the patch size. */
export function findBestResize(size: Size, scaleResolution: number, patchSize: number, allowUpscale: boolean): Size {
  let [width, height] = size;
  if (width * height > scaleResolution * scaleResolution || allowUpscale) {
    const r = width / height;
    height = Math.trunc(scaleResolution / Math.sqrt(r));
    width = Math.trunc(height * r);
  }
  return [ensureDivide(width, patchSize), ensureDivide(height, patchSize)];
}

/** Every grid the authors consider for `n` slices, in their order: [m, n/m] for m = 1..n dividing n. */
export function factorGrids(n: number): Grid[] {
  const grids: Grid[] = [];
  for (let m = 1; m <= n; m++) if (n % m === 0) grids.push([m, n / m]);
  return grids;
}

/** `ceil(W*H / S²)` clamped to maxSliceNums: the slice count the image "deserves". */
export function sliceMultiple(size: Size, opts: SliceOptions): number {
  const ratio = (size[0] * size[1]) / (opts.scaleResolution * opts.scaleResolution);
  return Math.min(Math.ceil(ratio), opts.maxSliceNums);
}

/** The first grid with the smallest |ln(W/H) - ln(cols/rows)|, or null for an empty list. */
export function closestAspectGrid(size: Size, grids: readonly Grid[]): Grid | null {
  const logRatio = Math.log(size[0] / size[1]);
  let best: Grid | null = null;
  let minError = Infinity;
  for (const g of grids) {
    const error = Math.abs(logRatio - Math.log(g[0] / g[1]));
    if (error < minError) {
      best = g;
      minError = error;
    }
  }
  return best;
}

/** The authors' candidate grids: all factorisations of multiple-1, multiple, multiple+1 (except 1 and
 *  counts above maxSliceNums), in their order. */
export function candidateGrids(multiple: number, maxSliceNums: number): Grid[] {
  const grids: Grid[] = [];
  for (const n of [multiple - 1, multiple, multiple + 1]) {
    if (n === 1 || n > maxSliceNums) continue;
    grids.push(...factorGrids(n));
  }
  return grids;
}

/** `get_sliced_grid`: null when the image is not sliced. */
export function getSlicedGrid(size: Size, opts: SliceOptions): Grid | null {
  const multiple = sliceMultiple(size, opts);
  if (multiple <= 1) return null;
  return closestAspectGrid(size, candidateGrids(multiple, opts.maxSliceNums)) ?? [1, 1];
}

/** `get_refine_size`: each cell sized like a whole image (with upscaling), times the grid. */
export function getRefineSize(size: Size, grid: Grid, scaleResolution: number, patchSize: number, allowUpscale: boolean): Size {
  const [cols, rows] = grid;
  const cellW = ensureDivide(size[0], cols) / cols;
  const cellH = ensureDivide(size[1], rows) / rows;
  const [bw, bh] = findBestResize([cellW, cellH], scaleResolution, patchSize, allowUpscale);
  return [bw * cols, bh * rows];
}

/** `split_to_patches`: row-major cells of `int(W/cols) x int(H/rows)`. */
export function gridCells(refined: Size, grid: Grid): SliceCell[] {
  const [width, height] = refined;
  const cw = Math.trunc(width / grid[0]);
  const ch = Math.trunc(height / grid[1]);
  const cells: SliceCell[] = [];
  for (let row = 0; row < grid[1]; row++) {
    for (let col = 0; col < grid[0]; col++) {
      cells.push({ row, col, box: [col * cw, row * ch, (col + 1) * cw, (row + 1) * ch] });
    }
  }
  return cells;
}

/** The plan for a given grid choice (shared by the reference and BlueLM policies). */
export function planForGrid(size: Size, grid: Grid | null, opts: SliceOptions): SlicePlan {
  const { scaleResolution: s, patchSize: p } = opts;
  if (grid === null) {
    return { original: size, overview: findBestResize(size, s, p, true), refined: null, grid: null, slices: [] };
  }
  const refined = getRefineSize(size, grid, s, p, true);
  return { original: size, overview: findBestResize(size, s, p, false), refined, grid, slices: gridCells(refined, grid) };
}

/** The authors' plan (`slice_image`). */
export function planReference(size: Size, opts: SliceOptions = DEFAULT_SLICE_OPTIONS): SlicePlan {
  return planForGrid(size, getSlicedGrid(size, opts), opts);
}
