/**
 * The synthetic vision projectors (mmproj GGUF, llama.cpp's layout for MiniCPM-V) the vision benchmark
 * writes: MiniCPM-V 4.0's SigLIP-so400m/14 NaViT tower and its resampler, random weights.
 *
 * Layout = test/fixtures/llamacpp/minicpmv-4.5/mmproj-f16.gguf (keys and their value types, tensor
 * names and order, the converter's swapped FFN names, the transposed `proj`, `pos_embed_k`), at real
 * size. Tensor types follow llama.cpp's converters:
 *   F16  (legacy minicpmv-convert-image-encoder-to-gguf.py, ftype 1): the 4-D patch kernel and every
 *        2-D `*.weight` F16 (the position table included); biases, norms, `resampler.query` and
 *        `resampler.pos_embed_k` (names not ending in ".weight") F32.
 *   Q8_0 (convert_hf_to_gguf.py's rules for an mmproj with --outtype q8_0): 2-D `*.weight` matrices
 *        Q8_0; the patch kernel and the position table F32 (forced); matrices whose rows are not a
 *        multiple of 32 values (SigLIP's fc2, 4304 wide, stored as `ffn_up`) fall back to F16, as
 *        gguf-py's QuantError fallback does; the rest F32.
 */
import { GGMLType, ggmlRowBytes } from "../../src/formats/gguf/ggml-types.js";

export interface MmprojSpec {
  /** Short id used in file names. */
  readonly id: string;
  /** `clip.minicpmv_version` (5 = MiniCPM-V 4.0). */
  readonly version: number;
  readonly hidden: number;
  readonly layers: number;
  readonly heads: number;
  readonly ffn: number;
  readonly patchSize: number;
  readonly imageSize: number;
  /** Side of the learned position table (70 → 4900 rows). */
  readonly positionsPerSide: number;
  /** Resampler width D = the LLM's embedding length; heads of 128. */
  readonly embedDim: number;
  readonly queries: number;
  readonly eps: number;
}

/** MiniCPM-V 4.0: SigLIP-so400m/14 (27 blocks of 1152, 16 heads, FFN 4304) + resampler to 2560 (20 heads). */
export const MMPROJ_V4_0: MmprojSpec = {
  id: "siglip400m-v4.0",
  version: 5,
  hidden: 1152,
  layers: 27,
  heads: 16,
  ffn: 4304,
  patchSize: 14,
  imageSize: 448,
  positionsPerSide: 70,
  embedDim: 2560,
  queries: 64,
  eps: 1e-6,
};

/**
 * `--small`: a toy tower of the same structure (smoke tests), its resampler as wide as the LLM
 * benchmark's TINY model (256). FFN 112 keeps fc2's rows off the 32-value grid as in the real tower.
 */
export const MMPROJ_TINY: MmprojSpec = {
  id: "tiny",
  version: 5,
  hidden: 64,
  layers: 2,
  heads: 4,
  ffn: 112,
  patchSize: 14,
  imageSize: 448,
  positionsPerSide: 70,
  embedDim: 256,
  queries: 64,
  eps: 1e-6,
};

export type MmprojTypeName = "f16" | "q8_0";

export const MMPROJ_TYPES: Readonly<Record<MmprojTypeName, { type: GGMLType; fileType: number; label: string }>> = {
  f16: { type: GGMLType.F16, fileType: 1, label: "F16" },
  q8_0: { type: GGMLType.Q8_0, fileType: 7, label: "Q8_0" },
};

export function isMmprojType(s: string): s is MmprojTypeName {
  return Object.prototype.hasOwnProperty.call(MMPROJ_TYPES, s);
}

/** What a tensor holds: random N(0, 0.02) values, ones/zeros (norms, biases), or the sin-cos key table. */
export type TensorFill = "random" | "ones" | "zeros" | "sincos";

export interface MmprojTensor {
  readonly name: string;
  /** ggml order (dims[0] = row length). */
  readonly dims: readonly number[];
  readonly type: GGMLType;
  readonly fill: TensorFill;
}

/** The type llama.cpp's converter gives a 2-D `*.weight` matrix with rows of `cols` values. */
function matrixType(typeName: MmprojTypeName, cols: number): GGMLType {
  if (typeName === "f16") return GGMLType.F16;
  return cols % 32 === 0 ? GGMLType.Q8_0 : GGMLType.F16;
}

/** Every tensor of the file, in the fixture's order. */
export function mmprojTensors(s: MmprojSpec, typeName: MmprojTypeName): MmprojTensor[] {
  const W = s.hidden;
  const D = s.embedDim;
  const f32 = GGMLType.F32;
  const mat = (name: string, rows: number, cols: number): MmprojTensor => ({ name, dims: [cols, rows], type: matrixType(typeName, cols), fill: "random" });
  const vec = (name: string, n: number, fill: TensorFill): MmprojTensor => ({ name, dims: [n], type: f32, fill });
  const q8 = typeName === "q8_0";
  const out: MmprojTensor[] = [
    { name: "v.patch_embd.weight", dims: [s.patchSize, s.patchSize, 3, W], type: q8 ? f32 : GGMLType.F16, fill: "random" },
    vec("v.patch_embd.bias", W, "zeros"),
    { name: "v.position_embd.weight", dims: [W, s.positionsPerSide ** 2], type: q8 ? f32 : GGMLType.F16, fill: "random" },
  ];
  for (let i = 0; i < s.layers; i++) {
    const p = `v.blk.${i}.`;
    for (const n of ["attn_q", "attn_k", "attn_v", "attn_out"]) out.push(mat(`${p}${n}.weight`, W, W), vec(`${p}${n}.bias`, W, "zeros"));
    out.push(vec(`${p}ln1.weight`, W, "ones"), vec(`${p}ln1.bias`, W, "zeros"), vec(`${p}ln2.weight`, W, "ones"), vec(`${p}ln2.bias`, W, "zeros"));
    // the legacy converter's swap: ffn_down holds SigLIP's fc1 [ffn, W], ffn_up holds fc2 [W, ffn]
    out.push(mat(`${p}ffn_down.weight`, s.ffn, W), vec(`${p}ffn_down.bias`, s.ffn, "zeros"));
    out.push(mat(`${p}ffn_up.weight`, W, s.ffn), vec(`${p}ffn_up.bias`, W, "zeros"));
  }
  out.push(vec("v.post_ln.weight", W, "ones"), vec("v.post_ln.bias", W, "zeros"));
  out.push({ name: "resampler.query", dims: [D, s.queries], type: f32, fill: "random" });
  out.push(mat("resampler.kv.weight", D, W));
  for (const n of ["q", "k", "v", "out"]) out.push(mat(`resampler.attn.${n}.weight`, D, D), vec(`resampler.attn.${n}.bias`, D, "zeros"));
  for (const n of ["q", "kv", "post"]) out.push(vec(`resampler.ln_${n}.weight`, D, "ones"), vec(`resampler.ln_${n}.bias`, D, "zeros"));
  out.push({ name: "resampler.pos_embed_k", dims: [D, s.positionsPerSide ** 2], type: f32, fill: "sincos" });
  out.push(mat("resampler.proj.weight", D, D)); // proj (D → LLM width = D), stored transposed
  return out;
}

export function tensorBytes(t: MmprojTensor): number {
  const rows = t.dims.slice(1).reduce((a, b) => a * b, 1);
  return ggmlRowBytes(t.type, t.dims[0]) * rows;
}

export function mmprojParameterCount(s: MmprojSpec): number {
  return mmprojTensors(s, "f16").filter((t) => t.name !== "resampler.pos_embed_k").reduce((a, t) => a + t.dims.reduce((x, y) => x * y, 1), 0);
}

/**
 * Multiply-adds (×2 = FLOPs) of one crop of `patches` patches through the tower and the resampler, by
 * part: patch embedding, q/k/v/out projections, attention (QKᵀ and PV), the MLP, the resampler.
 */
export function cropFlops(s: MmprojSpec, patches: number): Record<string, number> {
  const W = s.hidden;
  const D = s.embedDim;
  const n = patches;
  const Q = s.queries;
  return {
    patch_embed: 2 * n * W * 3 * s.patchSize ** 2,
    attn_proj: s.layers * 2 * n * 4 * W * W,
    attention: s.layers * 2 * 2 * n * n * W,
    mlp: s.layers * 2 * n * 2 * W * s.ffn,
    resampler: 2 * n * D * W + 2 * 2 * n * D * D + 2 * 2 * Q * n * D + 2 * Q * 2 * D * D,
  };
}
