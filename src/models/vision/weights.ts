import type { Backend, WeightMatrix } from "../../compute/backend.js";
import { UserError, isUserError } from "../../errors.js";
import { readTensorF32, requireTensor, type ModelSource } from "../model-source.js";
import type { VisionConfig } from "./config.js";
import { checkVisionShapes } from "./shapes.js";

/** y = x·Wᵀ + b */
export interface Linear {
  readonly w: WeightMatrix;
  readonly b?: Float32Array;
}

export interface Norm {
  readonly w: Float32Array;
  readonly b: Float32Array;
}

/** One SigLIP encoder block (pre-LN). fc1 = `ffn_up`, fc2 = `ffn_down` in canonical names. */
export interface VitBlockWeights {
  readonly ln1: Norm;
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly out: Linear;
  readonly ln2: Norm;
  readonly fc1: Linear;
  readonly fc2: Linear;
}

export interface ResamplerWeights {
  /** Learned queries `[Q, D]`. */
  readonly query: Float32Array;
  readonly kv: Linear;
  readonly lnQ: Norm;
  readonly lnKv: Norm;
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly out: Linear;
  readonly lnPost: Norm;
  readonly proj: Linear;
}

export interface VisionWeights {
  /** Conv kernel as a matrix `[W, 3·p·p]`, columns in (channel, ky, kx) order. */
  readonly patch: Linear;
  /** Learned position table `[side², W]`. */
  readonly positions: WeightMatrix;
  readonly blocks: readonly VitBlockWeights[];
  readonly postLn: Norm;
  readonly resampler: ResamplerWeights;
}

/** A `[rows, cols]` matrix (any ggml type; 4-D kernels are flattened to their rows) read into the backend. */
async function matrix(src: ModelSource, backend: Backend, name: string, rows: number, cols: number): Promise<WeightMatrix> {
  const t = requireTensor(src, name);
  try {
    // every product of the tower and the resampler runs over a crop's patches at once
    return await backend.createWeight(t.type, rows, cols, async (dst) => {
      await t.source.read(t.offset, t.byteLength, dst);
    }, { manyRows: "float" });
  } catch (e) {
    if (isUserError(e)) throw new UserError(e.code, `${src.name}: tensor "${name}": ${e.message}`, { cause: e });
    throw e;
  }
}

const vector = (src: ModelSource, name: string): Promise<Float32Array> => readTensorF32(src, name);

async function linear(src: ModelSource, backend: Backend, name: string, rows: number, cols: number, bias = true): Promise<Linear> {
  return { w: await matrix(src, backend, `${name}.weight`, rows, cols), b: bias ? await vector(src, `${name}.bias`) : undefined };
}

async function norm(src: ModelSource, name: string): Promise<Norm> {
  return { w: await vector(src, `${name}.weight`), b: await vector(src, `${name}.bias`) };
}

async function block(src: ModelSource, backend: Backend, c: VisionConfig, i: number): Promise<VitBlockWeights> {
  const p = `v.blk.${i}.`;
  const W = c.hidden;
  return {
    ln1: await norm(src, `${p}ln1`),
    q: await linear(src, backend, `${p}attn_q`, W, W),
    k: await linear(src, backend, `${p}attn_k`, W, W),
    v: await linear(src, backend, `${p}attn_v`, W, W),
    out: await linear(src, backend, `${p}attn_out`, W, W),
    ln2: await norm(src, `${p}ln2`),
    fc1: await linear(src, backend, `${p}ffn_up`, c.ffn, W),
    fc2: await linear(src, backend, `${p}ffn_down`, W, c.ffn),
  };
}

async function resampler(src: ModelSource, backend: Backend, c: VisionConfig): Promise<ResamplerWeights> {
  const D = c.embedDim;
  return {
    query: await vector(src, "resampler.query"),
    kv: await linear(src, backend, "resampler.kv", D, c.hidden, false),
    lnQ: await norm(src, "resampler.ln_q"),
    lnKv: await norm(src, "resampler.ln_kv"),
    q: await linear(src, backend, "resampler.attn.q", D, D),
    k: await linear(src, backend, "resampler.attn.k", D, D),
    v: await linear(src, backend, "resampler.attn.v", D, D),
    out: await linear(src, backend, "resampler.attn.out", D, D),
    lnPost: await norm(src, "resampler.ln_post"),
    proj: await linear(src, backend, "resampler.proj", c.outDim, D, false),
  };
}

/** Checks every shape, then reads the weights (matrices into the backend, small vectors as f32). */
export async function loadVisionWeights(src: ModelSource, c: VisionConfig, backend: Backend): Promise<VisionWeights> {
  checkVisionShapes(src, c);
  const blocks: VitBlockWeights[] = [];
  for (let i = 0; i < c.layers; i++) blocks.push(await block(src, backend, c, i));
  return {
    patch: await linear(src, backend, "v.patch_embd", c.hidden, 3 * c.patchSize * c.patchSize),
    positions: await matrix(src, backend, "v.position_embd.weight", c.positionsPerSide ** 2, c.hidden),
    blocks,
    postLn: await norm(src, "v.post_ln"),
    resampler: await resampler(src, backend, c),
  };
}
