import { UserError } from "../../errors.js";
import type { ModelSource, TensorEntry } from "../model-source.js";

/**
 * Hyper-parameters of a MiniCPM-V vision tower (NaViT SigLIP) and its resampler, in llama.cpp's
 * vocabulary (`clip.*` keys) with the shapes as the final word.
 */
export interface VisionConfig {
  /** `clip.minicpmv_version`: 2 = V2.5, 3 = V2.6, 4 = o-2.6, 5 = V4.0, 6 = V4.5, 100045 = o-4.5. */
  readonly version: number;
  /** Resampler queries = tokens per crop (or per video frame group). */
  readonly queryNum: number;
  /** ViT width, heads, blocks, MLP width, LayerNorm eps, patch side. */
  readonly hidden: number;
  readonly heads: number;
  readonly layers: number;
  readonly ffn: number;
  readonly eps: number;
  readonly patchSize: number;
  /** Slice size used by the preprocessing (`clip.vision.image_size`, 448). */
  readonly imageSize: number;
  /** Side of the learned position table (70 → 4900 rows). */
  readonly positionsPerSide: number;
  readonly imageMean: readonly [number, number, number];
  readonly imageStd: readonly [number, number, number];
  /** Resampler width D (= the LLM's hidden size); heads of 128. */
  readonly embedDim: number;
  readonly resamplerHeads: number;
  /** Width of the projector output (`resampler.proj` rows); equals the LLM's embedding length. */
  readonly outDim: number;
}

export const RESAMPLER_HEAD_DIM = 128;

/** llama.cpp's default `minicpmv_query_num` per version when the key is missing. */
export function defaultQueryNum(version: number): number {
  return version === 2 ? 96 : 64;
}

const KNOWN_VERSIONS = new Set([2, 3, 4, 5, 6, 100045]);

function tensor(src: ModelSource, name: string): TensorEntry {
  const t = src.tensors.get(name);
  if (!t) throw new UserError("missing", `${src.name}: tensor "${name}" is missing (not a MiniCPM-V vision projector?)`);
  return t;
}

function triple(src: ModelSource, key: string): readonly [number, number, number] {
  const v = src.meta.numbers(key, [0.5, 0.5, 0.5]);
  if (v.length !== 3 || v.some((x) => !Number.isFinite(x))) {
    throw new UserError("bad_file", `${src.name}: metadata "${key}" should hold 3 numbers, got [${v}]`);
  }
  return [v[0], v[1], v[2]];
}

function countLayers(src: ModelSource): number {
  let n = 0;
  while (src.tensors.has(`v.blk.${n}.attn_q.weight`)) n++;
  return n;
}

/**
 * Reads a `VisionConfig` from a canonical vision source: `clip.*` metadata where present, the rest from
 * the tensor shapes (widths, layer count, queries), and checks that the two agree.
 */
export function visionConfigFromSource(src: ModelSource): VisionConfig {
  const m = src.meta;
  const patchEmbd = tensor(src, "v.patch_embd.weight");
  const posEmbd = tensor(src, "v.position_embd.weight");
  const query = tensor(src, "resampler.query");
  const proj = tensor(src, "resampler.proj.weight");
  const hidden = patchEmbd.dims[3] ?? 0;
  const patchSize = patchEmbd.dims[0];
  const layers = countLayers(src);
  const ffnUp = tensor(src, "v.blk.0.ffn_up.weight");
  const version = m.number("clip.minicpmv_version", 2);
  if (!KNOWN_VERSIONS.has(version)) {
    throw new UserError("unsupported", `${src.name}: clip.minicpmv_version ${version} is not a known MiniCPM-V version (2, 3, 4, 5, 6, 100045)`);
  }
  const queryNum = query.dims[1] ?? 1;
  const metaQueries = m.number("clip.minicpmv_query_num", 0);
  const cfg: VisionConfig = {
    version,
    queryNum,
    hidden,
    heads: m.number("clip.vision.attention.head_count", hidden === 1152 ? 16 : 0),
    layers,
    ffn: ffnUp.dims[1] ?? 0,
    eps: m.number("clip.vision.attention.layer_norm_epsilon", 1e-6),
    patchSize,
    imageSize: m.number("clip.vision.image_size", 448),
    positionsPerSide: Math.round(Math.sqrt(posEmbd.dims[1] ?? 0)),
    imageMean: triple(src, "clip.vision.image_mean"),
    imageStd: triple(src, "clip.vision.image_std"),
    embedDim: query.dims[0],
    resamplerHeads: query.dims[0] / RESAMPLER_HEAD_DIM,
    outDim: proj.dims[1] ?? 0,
  };
  const bad = (what: string) => {
    throw new UserError("bad_file", `${src.name}: ${what}`);
  };
  if (metaQueries && metaQueries !== queryNum) bad(`clip.minicpmv_query_num is ${metaQueries} but resampler.query has ${queryNum} rows`);
  const metaHidden = m.number("clip.vision.embedding_length", hidden);
  if (metaHidden !== hidden) bad(`clip.vision.embedding_length is ${metaHidden} but v.patch_embd.weight is ${hidden} wide`);
  const metaLayers = m.number("clip.vision.block_count", layers);
  if (metaLayers !== layers) bad(`clip.vision.block_count is ${metaLayers} but the file has ${layers} blocks`);
  const metaFfn = m.number("clip.vision.feed_forward_length", cfg.ffn);
  if (metaFfn !== cfg.ffn) bad(`clip.vision.feed_forward_length is ${metaFfn} but ffn_up is ${cfg.ffn} wide`);
  const metaPatch = m.number("clip.vision.patch_size", patchSize);
  if (metaPatch !== patchSize || patchEmbd.dims[1] !== patchSize || patchEmbd.dims[2] !== 3) {
    bad(`v.patch_embd.weight [${patchEmbd.dims}] does not match patch size ${metaPatch} with 3 channels`);
  }
  if (!(cfg.heads > 0) || hidden % cfg.heads !== 0) bad(`vision head count ${cfg.heads} does not divide the width ${hidden}`);
  if (layers === 0) bad("no vision blocks (v.blk.0.*)");
  if (cfg.positionsPerSide ** 2 !== posEmbd.dims[1]) bad(`v.position_embd.weight has ${posEmbd.dims[1]} rows, not a square table`);
  if (!Number.isInteger(cfg.resamplerHeads) || cfg.resamplerHeads < 1) {
    bad(`resampler width ${cfg.embedDim} is not a multiple of the head size ${RESAMPLER_HEAD_DIM}`);
  }
  if (!(cfg.eps > 0 && cfg.eps < 1)) bad(`layer_norm_epsilon ${cfg.eps} is out of range`);
  return cfg;
}
