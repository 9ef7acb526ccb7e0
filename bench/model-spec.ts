/**
 * The synthetic language models the benchmark writes: MiniCPM-V 4.0's LLM dimensions (GGUF arch
 * `minicpm`), random weights. Only sizes and tensor types matter for speed, so the values are random.
 *
 * MiniCPM-V 4.0 LLM (MiniCPM4-3B-like):
 *   hidden 2560, 32 layers, 32 query heads and 2 key/value heads of 80, FFN 10240 (SwiGLU),
 *   vocab 73448, untied output (lm_head), embedding_scale 12, residual_scale 1.4/sqrt(32),
 *   logit_scale 10 (= hidden / dim_model_base 256), RoPE base 1e4 (norm style), RMSNorm eps 1e-5.
 *   token_embd and output: 73448 × 2560 = 188.0 M each; per layer q/o 2560² + k/v 2 × 160 × 2560 +
 *   FFN 3 × 2560 × 10240 = 92.5 M; 32 layers = 2 961 M; total ≈ 3 337 M parameters.
 */
import { GGMLType, ggmlRowBytes } from "../src/formats/gguf/ggml-types.js";

export interface BenchModelSpec {
  /** Short id used in file names ("v4.0", "v4.0-small", "tiny"). */
  readonly id: string;
  readonly nEmbd: number;
  readonly nLayers: number;
  readonly nHeads: number;
  readonly nKVHeads: number;
  readonly headDim: number;
  readonly nFF: number;
  readonly nVocab: number;
  readonly contextLength: number;
  readonly ropeBase: number;
  readonly rmsEps: number;
  readonly embeddingScale: number;
  readonly residualScale: number;
  readonly logitScale: number;
}

/** MiniCPM-V 4.0's language model, full size (≈ 3.34 B parameters). */
export const MINICPMV_4_0: BenchModelSpec = {
  id: "minicpmv4.0",
  nEmbd: 2560,
  nLayers: 32,
  nHeads: 32,
  nKVHeads: 2,
  headDim: 80,
  nFF: 10240,
  nVocab: 73448,
  contextLength: 4096,
  ropeBase: 10000,
  rmsEps: 1e-5,
  embeddingScale: 12,
  residualScale: Math.fround(1.4 / Math.sqrt(32)),
  logitScale: 10,
};

/** `--small`: the same layers and vocabulary, only 4 of them (for smoke runs while developing). */
export const MINICPMV_4_0_SMALL: BenchModelSpec = {
  ...MINICPMV_4_0,
  id: "minicpmv4.0-small",
  nLayers: 4,
  residualScale: Math.fround(1.4 / Math.sqrt(4)),
};

/** `--tiny`: a toy of the same architecture (tests: a few MB, runs on the JS backend in seconds). */
export const TINY: BenchModelSpec = {
  id: "tiny",
  nEmbd: 256,
  nLayers: 2,
  nHeads: 4,
  nKVHeads: 1,
  headDim: 64,
  nFF: 512,
  nVocab: 512,
  contextLength: 1024,
  ropeBase: 10000,
  rmsEps: 1e-5,
  embeddingScale: 12,
  residualScale: Math.fround(1.4 / Math.sqrt(2)),
  logitScale: 4,
};

export type BenchTypeName = "q4_0" | "q4_k" | "q8_0";

export const BENCH_TYPES: Readonly<Record<BenchTypeName, { type: GGMLType; fileType: number; label: string }>> = {
  // general.file_type: llama_ftype ids (MOSTLY_Q4_0 = 2, MOSTLY_Q8_0 = 7, MOSTLY_Q4_K_S = 14)
  q4_0: { type: GGMLType.Q4_0, fileType: 2, label: "Q4_0" },
  q4_k: { type: GGMLType.Q4_K, fileType: 14, label: "Q4_K" },
  q8_0: { type: GGMLType.Q8_0, fileType: 7, label: "Q8_0" },
};

export function isBenchType(s: string): s is BenchTypeName {
  return Object.prototype.hasOwnProperty.call(BENCH_TYPES, s);
}

/** One weight matrix of the model: PyTorch shape [rows, cols] (ggml dims [cols, rows]). */
export interface MatrixSpec {
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
}

export function matrices(s: BenchModelSpec): MatrixSpec[] {
  const q = s.nHeads * s.headDim;
  const kv = s.nKVHeads * s.headDim;
  const out: MatrixSpec[] = [{ name: "token_embd.weight", rows: s.nVocab, cols: s.nEmbd }];
  for (let i = 0; i < s.nLayers; i++) {
    const p = `blk.${i}.`;
    out.push(
      { name: `${p}attn_q.weight`, rows: q, cols: s.nEmbd },
      { name: `${p}attn_k.weight`, rows: kv, cols: s.nEmbd },
      { name: `${p}attn_v.weight`, rows: kv, cols: s.nEmbd },
      { name: `${p}attn_output.weight`, rows: s.nEmbd, cols: q },
      { name: `${p}ffn_gate.weight`, rows: s.nFF, cols: s.nEmbd },
      { name: `${p}ffn_up.weight`, rows: s.nFF, cols: s.nEmbd },
      { name: `${p}ffn_down.weight`, rows: s.nEmbd, cols: s.nFF },
    );
  }
  out.push({ name: "output.weight", rows: s.nVocab, cols: s.nEmbd });
  return out;
}

/** Norm vectors (F32): per layer attn_norm and ffn_norm, and output_norm. */
export function norms(s: BenchModelSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.nLayers; i++) out.push(`blk.${i}.attn_norm.weight`, `blk.${i}.ffn_norm.weight`);
  out.push("output_norm.weight");
  return out;
}

export function parameterCount(s: BenchModelSpec): number {
  return matrices(s).reduce((a, m) => a + m.rows * m.cols, 0) + norms(s).length * s.nEmbd;
}

/** Bytes of weights one decoded token reads: every matrix except the embedding table (one row of it). */
export function bytesPerToken(s: BenchModelSpec, type: GGMLType): number {
  let n = 0;
  for (const m of matrices(s)) {
    const row = ggmlRowBytes(type, m.cols);
    n += m.name === "token_embd.weight" ? row : row * m.rows;
  }
  return n + norms(s).length * s.nEmbd * 4;
}

/** Our key/value cache (f32 keys and values, every layer) holding `rows` rows. */
export function kvCacheBytes(s: BenchModelSpec, rows: number): number {
  return s.nLayers * 2 * rows * s.nKVHeads * s.headDim * 4;
}
