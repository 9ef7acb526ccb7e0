/**
 * "bluelm" slicing: BlueLM-V-3B's relaxed aspect-ratio matching (arXiv 2411.10640, §3) carried over to
 * MiniCPM-V's slicing. BlueLM's observation: picking the grid with the largest *effective* resolution
 * upscales small images into large grids, which costs tiles (tokens) and adds no information; so a
 * larger candidate should win only when it buys clearly more real resolution. The paper's exact
 * inequality is not public in code; this is the rule implemented here:
 *
 *   effective(c) = min(seen(c), W*H)   seen = pixels of the overview (unsliced) or of the refined
 *                                            image (sliced); W*H = pixels of the original
 *   candidates, by increasing slice count:
 *     - "unsliced" (the overview alone, 0 slices), then
 *     - for every count n = 2 .. n_ref - 1 the authors' grid for n (first minimum of the log-aspect
 *       error among the factorisations of n), kept only if its aspect error is <= that of the
 *       reference grid (a cheaper fallback never has a worse shape than what the authors pick),
 *     - the reference grid itself (the authors' choice, n_ref slices).
 *   best = "unsliced"; each candidate c in order replaces best  iff  effective(c) > (1 + margin) * effective(best)
 *
 * `margin` (default 0.1) is the relaxation: 0 means "any gain in real resolution justifies more
 * slices". Consequences: the result never has more slices than the reference; images whose pixels are
 * already (almost) all visible in the overview stay unsliced (449x449: reference 1x2 + overview,
 * here the overview only); large images keep the reference grid, since each step up adds >= 1/n_ref
 * of real resolution while the original still has more pixels than the refined image.
 */
import {
  type Grid,
  type Size,
  type SliceOptions,
  type SlicePlan,
  DEFAULT_SLICE_OPTIONS,
  closestAspectGrid,
  factorGrids,
  findBestResize,
  getRefineSize,
  getSlicedGrid,
  planForGrid,
} from "./slicing.js";

export const DEFAULT_BLUELM_MARGIN = 0.1;

function aspectError(size: Size, grid: Grid): number {
  return Math.abs(Math.log(size[0] / size[1]) - Math.log(grid[0] / grid[1]));
}

/** The grid the relaxed rule picks (null = unsliced). */
export function relaxedGrid(size: Size, opts: SliceOptions, margin = DEFAULT_BLUELM_MARGIN): Grid | null {
  if (!(margin >= 0)) throw new RangeError(`bluelm margin must be >= 0, got ${margin}`);
  const reference = getSlicedGrid(size, opts);
  if (reference === null) return null;
  const { scaleResolution: s, patchSize: p } = opts;
  const originalArea = size[0] * size[1];
  const effective = (g: Grid | null): number => {
    const seen = g === null ? findBestResize(size, s, p, true) : getRefineSize(size, g, s, p, true);
    return Math.min(seen[0] * seen[1], originalArea);
  };

  const referenceError = aspectError(size, reference);
  const candidates: Grid[] = [];
  for (let n = 2; n < reference[0] * reference[1]; n++) {
    const g = closestAspectGrid(size, factorGrids(n));
    if (g !== null && aspectError(size, g) <= referenceError) candidates.push(g);
  }
  candidates.push(reference);

  let best: Grid | null = null;
  let bestEffective = effective(null);
  for (const c of candidates) {
    const e = effective(c);
    if (e > (1 + margin) * bestEffective) {
      best = c;
      bestEffective = e;
    }
  }
  return best;
}

export function planBluelm(size: Size, opts: SliceOptions = DEFAULT_SLICE_OPTIONS, margin = DEFAULT_BLUELM_MARGIN): SlicePlan {
  return planForGrid(size, relaxedGrid(size, opts, margin), opts);
}
