import { UserError, isUserError } from "../../errors.js";
import type { Backend, WeightMatrix } from "../../compute/backend.js";
import { readTensorF32, requireTensor, type ModelSource } from "../model-source.js";
import type { LlmConfig } from "./language-model.js";

/** The named weights of one transformer block (llama.cpp's `blk.N.*`). */
export interface LayerWeights {
  readonly attnNorm: Float32Array;
  readonly wq: WeightMatrix;
  readonly wk: WeightMatrix;
  readonly wv: WeightMatrix;
  readonly wo: WeightMatrix;
  readonly bq?: Float32Array;
  readonly bk?: Float32Array;
  readonly bv?: Float32Array;
  readonly bo?: Float32Array;
  /** qwen3: RMSNorm weights applied to each query / key head before RoPE. */
  readonly qNorm?: Float32Array;
  readonly kNorm?: Float32Array;
  readonly ffnNorm: Float32Array;
  readonly gate: WeightMatrix;
  readonly up: WeightMatrix;
  readonly down: WeightMatrix;
  readonly bGate?: Float32Array;
  readonly bUp?: Float32Array;
  readonly bDown?: Float32Array;
}

export interface LlmWeights {
  readonly tokenEmbd: WeightMatrix;
  /** lm_head; the token embedding itself when the file has no `output.weight` (tied). */
  readonly output: WeightMatrix;
  readonly outputNorm: Float32Array;
  /** Per-pair RoPE frequency divisors, if present. */
  readonly ropeFreqs?: Float32Array;
  readonly layers: readonly LayerWeights[];
}

/**
 * How prefill chunks (many rows) multiply: the feed-forward products may use 7-bit activations (Q8_0's
 * fast kernel), which on the llama.cpp fixtures costs the logits no more than llama.cpp's own q8
 * activations do; in the attention projections it doubled that error, so they stay exact.
 */
type ManyRows = "float" | "int7";

/** Loads a weight matrix `[rows, cols]` (ggml dims [cols, rows]) into the backend, read straight from its source. */
async function matrix(src: ModelSource, backend: Backend, name: string, rows: number, cols: number, manyRows: ManyRows = "float"): Promise<WeightMatrix> {
  const t = requireTensor(src, name, [cols, rows]);
  try {
    return await backend.createWeight(t.type, rows, cols, async (dst) => {
      if (dst.byteLength < t.byteLength) throw new Error(`${name}: backend buffer of ${dst.byteLength} bytes < ${t.byteLength}`);
      await t.source.read(t.offset, t.byteLength, dst);
    }, { manyRows });
  } catch (e) {
    if (isUserError(e)) throw new UserError(e.code, `${src.name}: tensor "${name}": ${e.message}`, { cause: e });
    throw e;
  }
}

function vector(src: ModelSource, name: string, n: number): Promise<Float32Array> {
  return readTensorF32(src, name, [n]);
}

async function optionalVector(src: ModelSource, name: string, n: number, required: boolean): Promise<Float32Array | undefined> {
  if (!required && !src.tensors.has(name)) return undefined;
  return vector(src, name, n);
}

async function loadLayer(src: ModelSource, backend: Backend, c: LlmConfig, i: number): Promise<LayerWeights> {
  const p = `blk.${i}.`;
  const qDim = c.nHeads * c.headDim;
  const kvDim = c.nKVHeads * c.headDim;
  const qkvBias = c.arch === "qwen2";
  const qkNorm = c.arch === "qwen3";
  return {
    attnNorm: await vector(src, `${p}attn_norm.weight`, c.nEmbd),
    wq: await matrix(src, backend, `${p}attn_q.weight`, qDim, c.nEmbd),
    wk: await matrix(src, backend, `${p}attn_k.weight`, kvDim, c.nEmbd),
    wv: await matrix(src, backend, `${p}attn_v.weight`, kvDim, c.nEmbd),
    wo: await matrix(src, backend, `${p}attn_output.weight`, c.nEmbd, qDim),
    bq: await optionalVector(src, `${p}attn_q.bias`, qDim, qkvBias),
    bk: await optionalVector(src, `${p}attn_k.bias`, kvDim, qkvBias),
    bv: await optionalVector(src, `${p}attn_v.bias`, kvDim, qkvBias),
    bo: await optionalVector(src, `${p}attn_output.bias`, c.nEmbd, false),
    qNorm: await optionalVector(src, `${p}attn_q_norm.weight`, c.headDim, qkNorm),
    kNorm: await optionalVector(src, `${p}attn_k_norm.weight`, c.headDim, qkNorm),
    ffnNorm: await vector(src, `${p}ffn_norm.weight`, c.nEmbd),
    gate: await matrix(src, backend, `${p}ffn_gate.weight`, c.nFF, c.nEmbd, "int7"),
    up: await matrix(src, backend, `${p}ffn_up.weight`, c.nFF, c.nEmbd, "int7"),
    down: await matrix(src, backend, `${p}ffn_down.weight`, c.nEmbd, c.nFF, "int7"),
    bGate: await optionalVector(src, `${p}ffn_gate.bias`, c.nFF, false),
    bUp: await optionalVector(src, `${p}ffn_up.bias`, c.nFF, false),
    bDown: await optionalVector(src, `${p}ffn_down.bias`, c.nEmbd, false),
  };
}

/**
 * Loads and checks every tensor the architecture needs (presence and shape, with errors naming the
 * file and tensor). Matrices go to the backend in their file type; norms and biases become f32.
 */
export async function loadLlmWeights(src: ModelSource, backend: Backend, c: LlmConfig, onProgress?: (fraction: number) => void): Promise<LlmWeights> {
  const tokenEmbd = await matrix(src, backend, "token_embd.weight", c.nVocab, c.nEmbd);
  const output = src.tensors.has("output.weight") ? await matrix(src, backend, "output.weight", c.nVocab, c.nEmbd) : tokenEmbd;
  const outputNorm = await vector(src, "output_norm.weight", c.nEmbd);
  const ropeFreqs = await optionalVector(src, "rope_freqs.weight", c.ropeDim / 2, false);
  const layers: LayerWeights[] = [];
  onProgress?.(1 / (c.nLayers + 1));
  for (let i = 0; i < c.nLayers; i++) {
    layers.push(await loadLayer(src, backend, c, i));
    onProgress?.((i + 2) / (c.nLayers + 1));
  }
  return { tokenEmbd, output, outputNorm, ropeFreqs, layers };
}
