import { GGUFMetadata } from "../gguf/reader.js";
import { GGUFValueType, type GGUFEntry } from "../gguf/types.js";
import type { ModelSource, TensorEntry } from "../../models/model-source.js";

/** Builds llama.cpp metadata with the value types llama.cpp's converters write (and its loader checks). */
export class MetaBuilder {
  readonly entries = new Map<string, GGUFEntry>();

  str(key: string, value: string): this { return this.set(key, GGUFValueType.STRING, value); }
  u32(key: string, value: number): this { return this.set(key, GGUFValueType.UINT32, value); }
  i32(key: string, value: number): this { return this.set(key, GGUFValueType.INT32, value); }
  /** Stored as float32, as in a GGUF file. */
  f32(key: string, value: number): this { return this.set(key, GGUFValueType.FLOAT32, Math.fround(value)); }
  bool(key: string, value: boolean): this { return this.set(key, GGUFValueType.BOOL, value); }
  f32s(key: string, values: readonly number[]): this {
    return this.set(key, GGUFValueType.ARRAY, { itemType: GGUFValueType.FLOAT32, items: values.map(Math.fround) });
  }

  private set(key: string, type: GGUFValueType, value: GGUFEntry["value"]): this {
    this.entries.set(key, { type, value });
    return this;
  }
}

/** A ModelSource loaded from an authors' checkpoint, which also lists the folder's files. */
export interface HfModelSource extends ModelSource {
  readonly files: readonly string[];
  /** Closes the weight files (in-memory tensors stay readable). */
  close(): Promise<void>;
}

export function hfModelSource(name: string, meta: MetaBuilder, tensors: readonly TensorEntry[], files: readonly string[], close: () => Promise<void>): HfModelSource {
  return {
    name,
    meta: new GGUFMetadata(name, meta.entries),
    tensors: new Map(tensors.map((t) => [t.name, t])),
    files,
    close,
  };
}
