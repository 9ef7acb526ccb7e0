import type { ByteSource } from "../../io/byte-source.js";
import type { GGMLType } from "./ggml-types.js";

/** GGUF metadata value type ids (gguf.h). */
export enum GGUFValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/** A metadata value as read: 64-bit integers become bigint, arrays keep their element type. */
export type GGUFScalar = number | bigint | boolean | string;
export interface GGUFArray {
  readonly itemType: GGUFValueType;
  readonly items: GGUFScalar[] | GGUFArray[];
}
export type GGUFValue = GGUFScalar | GGUFArray;

export interface GGUFEntry {
  readonly type: GGUFValueType;
  readonly value: GGUFValue;
}

export interface GGUFTensorInfo {
  readonly name: string;
  /** ggml order: dims[0] is the fastest-varying (row length). PyTorch shape is dims reversed. */
  readonly dims: number[];
  readonly type: GGMLType;
  /** Absolute byte offset of the tensor data in the file. */
  readonly offset: number;
  readonly byteLength: number;
  readonly nElements: number;
}

export interface GGUFFile {
  readonly source: ByteSource;
  readonly version: number;
  readonly alignment: number;
  /** Absolute offset where the tensor data section starts. */
  readonly dataOffset: number;
  readonly metadata: ReadonlyMap<string, GGUFEntry>;
  readonly tensors: readonly GGUFTensorInfo[];
  tensor(name: string): GGUFTensorInfo | undefined;
}
