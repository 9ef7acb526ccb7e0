import { UserError } from "../errors.js";
import type { ByteSource } from "../io/byte-source.js";
import { GGUFMetadata } from "../formats/gguf/reader.js";
import type { GGUFFile } from "../formats/gguf/types.js";
import type { GGMLType } from "../formats/gguf/ggml-types.js";
import { dequantize } from "../formats/gguf/dequantize.js";

/**
 * One model description, many sources. A GGUF file and an authors' safetensors folder both load into
 * a `ModelSource`: llama.cpp metadata keys and tensor names (the GGUF vocabulary is the lingua franca),
 * each tensor pointing at its bytes in some ByteSource. Model code reads only this.
 */
export interface TensorEntry {
  readonly name: string;
  /** ggml order: dims[0] is the row length (PyTorch shape reversed). */
  readonly dims: readonly number[];
  readonly type: GGMLType;
  readonly source: ByteSource;
  readonly offset: number;
  readonly byteLength: number;
}

export interface ModelSource {
  /** For messages: the file or folder it came from. */
  readonly name: string;
  readonly meta: GGUFMetadata;
  readonly tensors: ReadonlyMap<string, TensorEntry>;
}

export function modelSourceFromGGUF(file: GGUFFile): ModelSource {
  const tensors = new Map<string, TensorEntry>();
  for (const t of file.tensors) {
    tensors.set(t.name, { name: t.name, dims: t.dims, type: t.type, source: file.source, offset: t.offset, byteLength: t.byteLength });
  }
  return { name: file.source.name, meta: GGUFMetadata.of(file), tensors };
}

export function requireTensor(src: ModelSource, name: string, dims?: readonly number[]): TensorEntry {
  const t = src.tensors.get(name);
  if (!t) throw new UserError("missing", `${src.name}: tensor "${name}" is missing`);
  if (dims && (dims.length !== t.dims.length || dims.some((d, i) => d !== t.dims[i]))) {
    throw new UserError("bad_file", `${src.name}: tensor "${name}" has shape [${t.dims}] (ggml order), expected [${dims}]`);
  }
  return t;
}

/** Reads a whole tensor as float32 (for norms, biases, small tables). */
export async function readTensorF32(src: ModelSource, name: string, dims?: readonly number[]): Promise<Float32Array> {
  const t = requireTensor(src, name, dims);
  const bytes = await t.source.read(t.offset, t.byteLength);
  const n = t.dims.reduce((a, b) => a * b, 1);
  return dequantize(t.type, bytes, n);
}
