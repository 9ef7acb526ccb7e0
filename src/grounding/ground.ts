/**
 * Attention-driven grounding (TAG) on a MiniCPM-V model: ask about the image with the target phrase in
 * the question, run the prompt once while reading the LLM's attention from the phrase's tokens, and
 * turn it into a box through the resampler's cross-attention (tag-map.ts). No generation, no tuning.
 */
import { UserError } from "../errors.js";
import type { RgbImage } from "../multimodal/image/rgb-image.js";
import type { ImageOptions, MiniCPMV } from "../multimodal/vlm.js";
import type { ForwardHooks } from "../models/llm/hooks.js";
import { feedPrompt } from "../runtime/generation.js";
import { promptLength, type PromptSegment } from "../runtime/prompt.js";
import { attentionMap, bestRegion, mapRegions, type TagCrop, type TagMap, type TagOptions } from "./tag-map.js";

export interface GroundOptions extends TagOptions, ImageOptions {
  /** The question, containing `target` (default `Point to the {target}.`). */
  readonly question?: string;
  /** Cancels before the prefill (a `UserError` "aborted"). */
  readonly signal?: AbortSignal;
}

export interface GroundRegion {
  /** [x1, y1, x2, y2] in the input image's pixels. */
  readonly box: readonly [number, number, number, number];
  readonly confidence: number;
}

export interface GroundResult {
  /** The centre of the best region, in the input image's pixels (null: no region above the threshold). */
  readonly point: readonly [number, number] | null;
  readonly best: GroundRegion | null;
  readonly regions: GroundRegion[];
  /** The attention map over the patches of the high-resolution image (the slices, or the overview). */
  readonly map: TagMap;
  /** Prompt rows whose attention was read (the target phrase's tokens). */
  readonly queryRows: number[];
  /** Rows of the prompt (image rows included) that went through the model. */
  readonly promptRows: number;
}

/**
 * The question TAG reads the target's attention from: `question` (which must contain `target`) or
 * `Point to the {target}.`. A `UserError` names what is wrong.
 */
export function groundingQuestion(target: string, question?: string): string {
  if (target.trim() === "") throw new UserError("bad_argument", "the target phrase is empty");
  const q = question ?? `Point to the ${target}.`;
  if (!q.includes(target)) throw new UserError("bad_argument", `the question ${JSON.stringify(q)} does not contain the target ${JSON.stringify(target)}`);
  return q;
}

export async function groundByAttention(vlm: MiniCPMV, image: RgbImage, target: string, opts: GroundOptions = {}): Promise<GroundResult> {
  const question = groundingQuestion(target, opts.question);
  if (opts.signal?.aborted) throw new UserError("aborted", "grounding was cancelled");
  const enc = vlm.encodeImage(image, opts, true); // cached: prompt() below reuses it
  const layout = await vlm.prompt([{ role: "user", content: [{ type: "image", image }, { type: "text", text: question }] }], opts);
  const queryRows = phraseRows(vlm, layout.segments, target);
  const { nLayers, nHeads } = vlm.llm.config;
  const rows = promptLength(layout.segments);
  const ctx = vlm.llm.config.contextLength;
  if (rows > ctx) throw new UserError("too_large", `the prompt (${rows} rows, image rows included) does not fit the context of ${ctx}`);
  const tokens = queryRows.map(() => new Float32Array(nLayers * nHeads * rows));
  const hooks: ForwardHooks = {
    attention(l, probs, nQ, nKV, at) {
      queryRows.forEach((r, t) => {
        const i = r - at.qStart;
        if (i < 0 || i >= nQ) return;
        for (let h = 0; h < nHeads; h++) {
          tokens[t].set(probs.subarray((h * nQ + i) * nKV, (h * nQ + i) * nKV + Math.min(nKV, rows)), (l * nHeads + h) * rows);
        }
      });
    },
  };
  const cache = vlm.llm.newCache();
  try {
    await feedPrompt(vlm.llm, cache, layout.segments, { hooks, signal: opts.signal });
  } finally {
    cache.dispose?.();
  }

  const pre = enc.preprocessed;
  const crops: TagCrop[] = layout.imageRows.map((r) => {
    const c = pre.crops[r.crop].image;
    const w = c.width / vlm.vision.config.patchSize;
    const h = c.height / vlm.vision.config.patchSize;
    return { start: r.start, n: r.n, cross: enc.crossAttention![r.crop], stride: w * h, w, h };
  });
  const map = attentionMap({ nLayers, nHeads, rows, tokens }, crops, pre.grid, opts);
  // the map covers the slices (or the overview): scale its 14-pixel patches to the input image
  const sx = image.width / (map.w * 14);
  const sy = image.height / (map.h * 14);
  const regions = mapRegions(map, opts.threshold ?? 0.5).map((r) => ({
    box: [r.patches[0] * 14 * sx, r.patches[1] * 14 * sy, (r.patches[2] * 14 + 13) * sx, (r.patches[3] * 14 + 13) * sy] as const,
    confidence: r.confidence,
    patches: r.patches,
  }));
  const top = bestRegion(regions);
  const best = top ? { box: top.box, confidence: top.confidence } : null;
  return {
    point: best ? [(best.box[0] + best.box[2]) / 2, (best.box[1] + best.box[3]) / 2] : null,
    best,
    regions: regions.map(({ box, confidence }) => ({ box, confidence })),
    map,
    queryRows,
    promptRows: rows,
  };
}

/** Rows of the prompt's tokens that spell `phrase` (its last occurrence: the question comes after the image). */
function phraseRows(vlm: MiniCPMV, segments: readonly PromptSegment[], phrase: string): number[] {
  const want = new TextEncoder().encode(phrase);
  let row = 0;
  let found: number[] = [];
  for (const seg of segments) {
    if (seg.kind !== "tokens") { row += seg.n; continue; }
    const ids = seg.ids;
    const pieces = ids.map((id) => vlm.tokenizer.tokenToPiece(id, true));
    const bytes = new Uint8Array(pieces.reduce((s, p) => s + p.length, 0));
    const startOf: number[] = [];
    let at = 0;
    for (const p of pieces) { startOf.push(at); bytes.set(p, at); at += p.length; }
    const hit = lastIndexOf(bytes, want);
    if (hit >= 0) {
      found = [];
      ids.forEach((_, i) => {
        const s = startOf[i];
        const e = s + pieces[i].length;
        if (e > hit && s < hit + want.length) found.push(row + i);
      });
    }
    row += ids.length;
  }
  if (found.length === 0) throw new UserError("bad_argument", `the target ${JSON.stringify(phrase)} is not spelled by the prompt's tokens`);
  return found;
}

function lastIndexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = hay.length - needle.length; i >= 0; i--) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
