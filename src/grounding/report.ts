/**
 * A grounding result as the interfaces show it (CLI JSON, the server's `/v1/ground`): the point and the
 * boxes in the input image's pixels and in MiniCPM-V's own coordinates, 0–1000 over the image's width
 * and height as in its `<point>x y</point>` and `<box>x1 y1 x2 y2</box>` answers.
 */
import type { GroundResult } from "./ground.js";

/** A pixel coordinate → MiniCPM-V's 0–1000 scale over `size` (an integer, clamped to 0…1000). */
export function toThousandths(v: number, size: number): number {
  return Math.max(0, Math.min(1000, Math.round((v / size) * 1000)));
}

export function pointTo1000(p: readonly [number, number], width: number, height: number): [number, number] {
  return [toThousandths(p[0], width), toThousandths(p[1], height)];
}

export function boxTo1000(b: readonly [number, number, number, number], width: number, height: number): [number, number, number, number] {
  return [toThousandths(b[0], width), toThousandths(b[1], height), toThousandths(b[2], width), toThousandths(b[3], height)];
}

export interface GroundingRegionJson {
  box: number[];
  box_1000: number[];
  confidence: number;
}

export interface GroundingJson {
  /** The best region's centre, in pixels and 0–1000 (null: no region above the threshold). */
  point: number[] | null;
  point_1000: number[] | null;
  /** The best region, in pixels and 0–1000. */
  box: number[] | null;
  box_1000: number[] | null;
  confidence: number | null;
  regions: GroundingRegionJson[];
  /** [width, height] of the input image, and of the attention map in patches. */
  image: [number, number];
  map: [number, number];
  query_rows: number[];
}

/** `r` for `image` as JSON; `decimals` rounds the pixel coordinates (default: exact). */
export function groundingJson(r: GroundResult, image: { readonly width: number; readonly height: number }, opts: { decimals?: number } = {}): GroundingJson {
  const f = opts.decimals === undefined ? 1 : 10 ** opts.decimals;
  const px = (v: readonly number[]) => (opts.decimals === undefined ? [...v] : v.map((x) => Math.round(x * f) / f));
  const { width: w, height: h } = image;
  return {
    point: r.point && px(r.point),
    point_1000: r.point && pointTo1000(r.point, w, h),
    box: r.best && px(r.best.box),
    box_1000: r.best && boxTo1000(r.best.box, w, h),
    confidence: r.best?.confidence ?? null,
    regions: r.regions.map((g) => ({ box: px(g.box), box_1000: boxTo1000(g.box, w, h), confidence: g.confidence })),
    image: [w, h],
    map: [r.map.w, r.map.h],
    query_rows: r.queryRows,
  };
}
