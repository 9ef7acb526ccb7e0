import { UserError } from "../../errors.js";
import { bytesSource } from "../../io/byte-source.js";
import type { TensorEntry } from "../../models/model-source.js";
import { dequantize } from "../gguf/dequantize.js";
import { GGMLType, ggmlTypeInfo } from "../gguf/ggml-types.js";
import { ggmlTypeOfDType } from "../safetensors/dtypes.js";
import type { HfCheckpoint, HfTensor } from "./load-folder.js";

/** Turning the authors' safetensors tensors into ModelSource entries (ggml dims, llama.cpp names). */

export function requireHf(ckpt: HfCheckpoint, key: string): HfTensor {
  const t = ckpt.tensors.get(key);
  if (!t) throw new UserError("missing", `${ckpt.name}: tensor "${key}" is missing`);
  return t;
}

export function ggmlTypeOf(ckpt: HfCheckpoint, t: HfTensor): GGMLType {
  const type = ggmlTypeOfDType(t.dtype);
  if (type === undefined) throw new UserError("unsupported", `${ckpt.name}: tensor "${t.name}" has dtype ${t.dtype}, which cannot hold model weights here`);
  return type;
}

/** PyTorch shape → ggml dims (reversed; a scalar becomes [1]). */
export function ggmlDims(shape: readonly number[]): number[] {
  return shape.length === 0 ? [1] : [...shape].reverse();
}

/** The tensor as it is, under a new name: no copy. */
export function entryOf(ckpt: HfCheckpoint, t: HfTensor, name: string): TensorEntry {
  return { name, dims: ggmlDims(t.shape), type: ggmlTypeOf(ckpt, t), source: t.source, offset: t.offset, byteLength: t.byteLength };
}

/** Splits along the first PyTorch dimension into equal parts (e.g. a fused q|k|v projection): no copy. */
export function splitRows(ckpt: HfCheckpoint, t: HfTensor, names: readonly string[]): TensorEntry[] {
  const rows = t.shape[0] ?? 0;
  if (rows % names.length !== 0) {
    throw new UserError("bad_file", `${ckpt.name}: tensor "${t.name}" [${t.shape}] cannot be split in ${names.length} equal parts`);
  }
  const shape = [rows / names.length, ...t.shape.slice(1)];
  const part = t.byteLength / names.length;
  return names.map((name, i) => ({
    name, dims: ggmlDims(shape), type: ggmlTypeOf(ckpt, t), source: t.source, offset: t.offset + i * part, byteLength: part,
  }));
}

/**
 * A 2-D tensor transposed into memory. With `divisor`, values are divided by it in float32 and stored
 * as F32 (what llama.cpp's MiniCPM-V converter does to `resampler.proj` for a minicpm LLM).
 */
export async function transposed(ckpt: HfCheckpoint, t: HfTensor, name: string, divisor?: number): Promise<TensorEntry> {
  if (t.shape.length !== 2) throw new UserError("bad_file", `${ckpt.name}: tensor "${t.name}" [${t.shape}] should be 2-D`);
  const [rows, cols] = t.shape;
  const type = ggmlTypeOf(ckpt, t);
  const src = await t.source.read(t.offset, t.byteLength);
  if (divisor !== undefined) {
    const x = dequantize(type, src, rows * cols);
    const out = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c] / divisor;
    const bytes = new Uint8Array(out.buffer);
    return { name, dims: [rows, cols], type: GGMLType.F32, source: bytesSource(`${ckpt.name}:${name}`, bytes), offset: 0, byteLength: bytes.byteLength };
  }
  const e = ggmlTypeInfo(type)!.typeSize;
  const out = new Uint8Array(t.byteLength);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out.set(src.subarray((r * cols + c) * e, (r * cols + c + 1) * e), (c * rows + r) * e);
  }
  return { name, dims: [rows, cols], type, source: bytesSource(`${ckpt.name}:${name}`, out), offset: 0, byteLength: out.byteLength };
}

/** An in-memory F32 tensor (e.g. values that live in config.json). */
export function f32Entry(ckpt: HfCheckpoint, name: string, values: readonly number[]): TensorEntry {
  const bytes = new Uint8Array(new Float32Array(values).buffer);
  return { name, dims: [values.length], type: GGMLType.F32, source: bytesSource(`${ckpt.name}:${name}`, bytes), offset: 0, byteLength: bytes.byteLength };
}
