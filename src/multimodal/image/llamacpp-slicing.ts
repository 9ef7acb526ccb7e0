/**
 * llama.cpp mtmd's llava-uhd slicing for MiniCPM-V (`mtmd_image_preprocessor_llava_uhd::
 * get_slice_instructions`), size arithmetic only. It follows the authors' algorithm with these
 * differences, all reproduced here:
 * - an image with both sides <= S is not sliced and its overview is S x S (aspect ratio not kept);
 * - any side > S means slicing, even when the area is <= S² (then the candidates are 2 slices);
 * - float32 arithmetic throughout and `std::round` (ties away from zero) in ensure_divide.
 */
import {
  type Grid,
  type Size,
  type SliceCell,
  type SliceOptions,
  type SlicePlan,
  DEFAULT_SLICE_OPTIONS,
  factorGrids,
} from "./slicing.js";

const f32 = Math.fround;

function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

/** `max(int(std::round((float)length / p) * p), p)` */
export function ensureDivideLlamacpp(length: number, patchSize: number): number {
  return Math.max(Math.trunc(f32(roundHalfAway(f32(length / patchSize)) * patchSize)), patchSize);
}

/** `get_best_resize` in float32. */
export function bestResizeLlamacpp(size: Size, scaleResolution: number, patchSize: number, allowUpscale: boolean): Size {
  let [width, height] = size;
  if (width * height > scaleResolution * scaleResolution || allowUpscale) {
    const r = f32(width / height);
    height = Math.trunc(f32(scaleResolution / f32(Math.sqrt(r))));
    width = Math.trunc(f32(height * r));
  }
  return [ensureDivideLlamacpp(width, patchSize), ensureDivideLlamacpp(height, patchSize)];
}

/** `get_best_grid`: candidates from multiple-1..multiple+1 (a count of 0 contributes nothing), the
 *  first with the smallest float32 log-ratio error. */
export function bestGridLlamacpp(maxSliceNums: number, multiple: number, logRatio: number): Grid {
  let best: Grid = [1, 1];
  let minError = Infinity;
  for (const n of [multiple - 1, multiple, multiple + 1]) {
    if (n === 1 || n > maxSliceNums) continue;
    for (const g of factorGrids(n)) {
      const error = f32(Math.abs(f32(logRatio - f32(Math.log(f32(g[0] / g[1]))))));
      if (error < minError) {
        best = g;
        minError = error;
      }
    }
  }
  return best;
}

export function planLlamacpp(size: Size, opts: SliceOptions = DEFAULT_SLICE_OPTIONS): SlicePlan {
  const { scaleResolution: s, patchSize: p, maxSliceNums } = opts;
  const [w, h] = size;
  if (w <= s && h <= s) return { original: size, overview: [s, s], refined: null, grid: null, slices: [] };

  const overview = bestResizeLlamacpp(size, s, p, false);
  const logRatio = f32(Math.log(f32(w / h)));
  const ratio = f32(f32(w * h) / (s * s));
  const multiple = Math.min(Math.ceil(ratio), maxSliceNums);
  const grid = bestGridLlamacpp(maxSliceNums, multiple, logRatio);

  const [cols, rows] = grid;
  const cell = bestResizeLlamacpp(
    [Math.trunc(ensureDivideLlamacpp(w, cols) / cols), Math.trunc(ensureDivideLlamacpp(h, rows) / rows)],
    s,
    p,
    true,
  );
  const refined: Size = [cell[0] * cols, cell[1] * rows];
  const cw = Math.trunc(refined[0] / cols);
  const ch = Math.trunc(refined[1] / rows);
  const slices: SliceCell[] = [];
  for (let row = 0, y = 0; y < refined[1] && row < rows; row++, y += ch) {
    for (let col = 0, x = 0; x < refined[0] && col < cols; col++, x += cw) {
      slices.push({ row, col, box: [x, y, x + cw, y + ch] });
    }
  }
  return { original: size, overview, refined, grid, slices };
}
