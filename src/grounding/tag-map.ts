/**
 * TAG (Xu et al., HeimingX/TAG): where in the image a phrase points, from attention alone.
 *
 * For each query token, the (layer, head) pairs that put the most attention on the image's rows (the
 * high-resolution slices; the overview when the image is not sliced) are kept; through each kept head,
 * the token's attention to a crop's resampler rows times the resampler's cross-attention from those
 * rows to the crop's patches gives a patch map. Slices are stitched by their grid, the maps averaged
 * over tokens and scaled to a maximum of 1; regions above the threshold become boxes, each with the
 * highest value inside as its confidence. Pure arithmetic over arrays: the model side is in ground.ts.
 */

export interface TagCrop {
  /** First prompt row of the crop's resampler rows, and their number (the resampler's queries). */
  readonly start: number;
  readonly n: number;
  /** Resampler cross-attention `[n, stride]` (mean over heads); the crop's patches are the first w * h of each row. */
  readonly cross: Float32Array;
  readonly stride: number;
  /** Patch grid of the crop. */
  readonly w: number;
  readonly h: number;
}

/** Attention of the query tokens: for each, `[nLayers, nHeads, rows]` probabilities over the prompt's rows. */
export interface TagAttention {
  readonly nLayers: number;
  readonly nHeads: number;
  readonly rows: number;
  readonly tokens: readonly Float32Array[];
}

export interface TagOptions {
  /** (layer, head) pairs kept per token (default 10). */
  readonly topHeads?: number;
  /** Share of the map's maximum from which a patch belongs to a region (default 0.5). */
  readonly threshold?: number;
}

/** A map over the patches of the high-resolution image, row-major (`data[y * w + x]`), maximum 1. */
export interface TagMap {
  readonly w: number;
  readonly h: number;
  readonly data: Float32Array;
}

export interface TagRegion {
  /** Inclusive patch box [x1, y1, x2, y2] (pixels: x1 * 14 … x2 * 14 + 13, as the authors' upsampled map gives). */
  readonly patches: readonly [number, number, number, number];
  readonly confidence: number;
}

/** The map of the query tokens over the image: crops = overview then slices (row-major), grid = [cols, rows] of the slices. */
export function attentionMap(att: TagAttention, crops: readonly TagCrop[], grid: readonly [number, number] | null, opts: TagOptions = {}): TagMap {
  if (att.tokens.length === 0) throw new RangeError("TAG needs at least one query token");
  const sliced = crops.length > 1;
  if (sliced && (!grid || grid[0] * grid[1] !== crops.length - 1)) throw new RangeError(`TAG: ${crops.length - 1} slices do not fill a ${grid} grid`);
  const slice = sliced ? crops[1] : crops[0];
  const W = sliced ? grid![0] * slice.w : slice.w;
  const H = sliced ? grid![1] * slice.h : slice.h;
  const k = Math.min(opts.topHeads ?? 10, att.nLayers * att.nHeads);
  const sum = new Float64Array(W * H);
  for (const tok of att.tokens) {
    const heads = rankHeads(tok, att, crops, sliced).slice(0, k);
    const perCrop = crops.map((c) => new Float64Array(c.w * c.h));
    for (const lh of heads) {
      const row = tok.subarray(lh * att.rows, (lh + 1) * att.rows);
      crops.forEach((c, ci) => {
        const out = perCrop[ci];
        for (let q = 0; q < c.n; q++) {
          const a = row[c.start + q];
          if (a === 0) continue;
          const cr = c.cross.subarray(q * c.stride, q * c.stride + c.w * c.h);
          for (let p = 0; p < cr.length; p++) out[p] += a * cr[p];
        }
      });
    }
    // the slices' maps side by side by the grid (or the overview's alone)
    if (!sliced) for (let p = 0; p < W * H; p++) sum[p] += perCrop[0][p] / k;
    else {
      for (let s = 0; s < crops.length - 1; s++) {
        const c = crops[s + 1];
        const gx = (s % grid![0]) * slice.w;
        const gy = Math.floor(s / grid![0]) * slice.h;
        for (let y = 0; y < c.h; y++) for (let x = 0; x < c.w; x++) sum[(gy + y) * W + gx + x] += perCrop[s + 1][y * c.w + x] / k;
      }
    }
  }
  let max = 0;
  for (let p = 0; p < sum.length; p++) max = Math.max(max, sum[p]);
  const data = new Float32Array(W * H);
  for (let p = 0; p < sum.length; p++) data[p] = max > 0 ? sum[p] / max : 0; // the token average, scaled to max 1
  return { w: W, h: H, data };
}

/** (layer, head) indices by their attention mass on the slices (or the overview), most first; ties keep layer order. */
function rankHeads(tok: Float32Array, att: TagAttention, crops: readonly TagCrop[], sliced: boolean): number[] {
  const mass = new Float64Array(att.nLayers * att.nHeads);
  for (let lh = 0; lh < mass.length; lh++) {
    const base = lh * att.rows;
    let m = 0;
    for (const c of sliced ? crops.slice(1) : crops.slice(0, 1)) for (let q = 0; q < c.n; q++) m += tok[base + c.start + q];
    mass[lh] = m;
  }
  return Array.from(mass.keys()).sort((a, b) => mass[b] - mass[a] || a - b);
}

/**
 * Regions of the map at or above `threshold` (8-connected), scanned column by column as the authors do;
 * once a region is found its bounding box counts as visited. Confidence = the maximum inside the box.
 */
export function mapRegions(map: TagMap, threshold = 0.5): TagRegion[] {
  const { w, h, data } = map;
  const on = (x: number, y: number) => data[y * w + x] >= threshold && data[y * w + x] > 0;
  const visited = new Uint8Array(w * h);
  const out: TagRegion[] = [];
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) {
      if (!on(x, y) || visited[y * w + x]) continue;
      let [x1, y1, x2, y2] = [x, y, x, y];
      const queue: number[] = [y * w + x];
      visited[y * w + x] = 1;
      while (queue.length) {
        const p = queue.pop()!;
        const px = p % w;
        const py = (p - px) / w;
        x1 = Math.min(x1, px); x2 = Math.max(x2, px); y1 = Math.min(y1, py); y2 = Math.max(y2, py);
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
          const nx = px + dx;
          const ny = py + dy;
          if (nx < 0 || ny < 0 || nx >= w || ny >= h || visited[ny * w + nx] || !on(nx, ny)) continue;
          visited[ny * w + nx] = 1;
          queue.push(ny * w + nx);
        }
      }
      let conf = 0;
      for (let yy = y1; yy <= y2; yy++) for (let xx = x1; xx <= x2; xx++) {
        visited[yy * w + xx] = 1;
        if (on(xx, yy)) conf = Math.max(conf, data[yy * w + xx]);
      }
      out.push({ patches: [x1, y1, x2, y2], confidence: conf });
    }
  }
  return out;
}

/** The authors' pick among several regions: highest confidence, then largest area (of the pixel box). */
export function bestRegion<T extends TagRegion>(regions: readonly T[]): T | null {
  const area = (r: TagRegion) => (14 * (r.patches[2] - r.patches[0]) + 13) * (14 * (r.patches[3] - r.patches[1]) + 13);
  return [...regions].sort((a, b) => b.confidence - a.confidence || area(b) - area(a))[0] ?? null;
}
