import { UserError } from "../../errors.js";
import type { ByteSource } from "../../io/byte-source.js";
import { ggmlTypeInfo, ggmlTypeName, type GGMLType } from "./ggml-types.js";
import {
  GGUFValueType,
  type GGUFArray,
  type GGUFEntry,
  type GGUFFile,
  type GGUFScalar,
  type GGUFTensorInfo,
  type GGUFValue,
} from "./types.js";

const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
const CHUNK = 1 << 20;
const MAX_DIMS = 4;
// Far above anything real (vocabularies have ~10^5..10^6 entries, templates a few KB), far below
// what would exhaust memory or time: a corrupt count is rejected instead of honoured.
const MAX_ARRAY_ITEMS = 1 << 24;
const MAX_STRING_BYTES = 1 << 26;
const MAX_TENSORS = 1 << 22;
const MAX_KV = 1 << 20;

/** Thrown when the header runs past the bytes read so far: the caller reads more and parses again. */
class NeedMore {
  constructor(readonly upTo: number) {}
}

/**
 * Parses the header synchronously over a prefix of the file (one per read, not per value: a
 * 150k-token vocabulary parses in milliseconds); running past the prefix asks for a longer one.
 */
class Cursor {
  private readonly view: DataView;
  pos = 0;
  private readonly decoder = new TextDecoder("utf-8", { fatal: false });

  constructor(private readonly src: ByteSource, private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private fail(what: string): never {
    throw new UserError("bad_file", `${this.src.name}: truncated or corrupt GGUF (${what} at byte ${this.pos}, file has ${this.src.size} bytes)`);
  }

  private at(n: number, what: string): number {
    if (this.pos + n > this.src.size) this.fail(`${what} runs past the end of the file`);
    if (this.pos + n > this.buf.length) throw new NeedMore(this.pos + n);
    const o = this.pos;
    this.pos += n;
    return o;
  }

  u8(what = "u8") { return this.view.getUint8(this.at(1, what)); }
  i8(what = "i8") { return this.view.getInt8(this.at(1, what)); }
  u16(what = "u16") { return this.view.getUint16(this.at(2, what), true); }
  i16(what = "i16") { return this.view.getInt16(this.at(2, what), true); }
  u32(what = "u32") { return this.view.getUint32(this.at(4, what), true); }
  i32(what = "i32") { return this.view.getInt32(this.at(4, what), true); }
  f32(what = "f32") { return this.view.getFloat32(this.at(4, what), true); }
  f64(what = "f64") { return this.view.getFloat64(this.at(8, what), true); }
  u64(what = "u64") { return this.view.getBigUint64(this.at(8, what), true); }
  i64(what = "i64") { return this.view.getBigInt64(this.at(8, what), true); }

  /**
   * A u64 count or size that must fit what is left in the file and stay under `max`
   * (guards against absurd allocations and endless loops).
   */
  count(what: string, bytesPerItem: number, max: number): number {
    const v = this.u64(what);
    const left = this.src.size - this.pos;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || Number(v) * bytesPerItem > left) {
      this.pos -= 8;
      this.fail(`${what} ${v} is larger than the file could hold`);
    }
    if (Number(v) > max) {
      this.pos -= 8;
      this.fail(`${what} ${v} is over the limit of ${max}`);
    }
    return Number(v);
  }

  str(what = "string"): string {
    const n = this.count(`${what} length`, 1, MAX_STRING_BYTES);
    const o = this.at(n, what);
    return this.decoder.decode(this.buf.subarray(o, o + n));
  }
}

const SCALAR_SIZE: Partial<Record<GGUFValueType, number>> = {
  [GGUFValueType.UINT8]: 1, [GGUFValueType.INT8]: 1, [GGUFValueType.BOOL]: 1,
  [GGUFValueType.UINT16]: 2, [GGUFValueType.INT16]: 2,
  [GGUFValueType.UINT32]: 4, [GGUFValueType.INT32]: 4, [GGUFValueType.FLOAT32]: 4,
  [GGUFValueType.UINT64]: 8, [GGUFValueType.INT64]: 8, [GGUFValueType.FLOAT64]: 8,
  [GGUFValueType.STRING]: 8, // at least its length field
  [GGUFValueType.ARRAY]: 12,
};

function readValue(c: Cursor, type: GGUFValueType, key: string, depth: number): GGUFValue {
  switch (type) {
    case GGUFValueType.UINT8: return c.u8(key);
    case GGUFValueType.INT8: return c.i8(key);
    case GGUFValueType.UINT16: return c.u16(key);
    case GGUFValueType.INT16: return c.i16(key);
    case GGUFValueType.UINT32: return c.u32(key);
    case GGUFValueType.INT32: return c.i32(key);
    case GGUFValueType.FLOAT32: return c.f32(key);
    case GGUFValueType.FLOAT64: return c.f64(key);
    case GGUFValueType.UINT64: return c.u64(key);
    case GGUFValueType.INT64: return c.i64(key);
    case GGUFValueType.BOOL: return (c.u8(key)) !== 0;
    case GGUFValueType.STRING: return c.str(key);
    case GGUFValueType.ARRAY: {
      if (depth > 4) throw new UserError("bad_file", `${key}: arrays nested too deeply`);
      const itemType = (c.u32(`${key} array type`)) as GGUFValueType;
      const size = SCALAR_SIZE[itemType];
      if (size === undefined) throw new UserError("bad_file", `metadata key "${key}": unknown array element type ${itemType}`);
      const n = c.count(`${key} array length`, size, MAX_ARRAY_ITEMS);
      const items: GGUFValue[] = new Array(n);
      for (let i = 0; i < n; i++) items[i] = readValue(c, itemType, key, depth + 1);
      return { itemType, items } as GGUFArray;
    }
    default:
      throw new UserError("bad_file", `metadata key "${key}": unknown value type ${type}`);
  }
}

/** Parses a GGUF (v2 or v3) header and tensor table. Tensor data stays in the source. */
export async function readGGUF(source: ByteSource): Promise<GGUFFile> {
  if (source.size < 24) throw new UserError("bad_file", `${source.name}: not a GGUF file (only ${source.size} bytes)`);
  let want = Math.min(source.size, CHUNK);
  for (;;) {
    const prefix = await source.read(0, want);
    try {
      return parseHeader(source, prefix);
    } catch (e) {
      if (!(e instanceof NeedMore)) throw e;
      want = Math.min(source.size, Math.max(want * 4, e.upTo));
    }
  }
}

function parseHeader(source: ByteSource, prefix: Uint8Array): GGUFFile {
  const name = source.name;
  const c = new Cursor(source, prefix);
  const magic = c.u32("magic");
  if (magic !== GGUF_MAGIC) throw new UserError("bad_file", `${name}: not a GGUF file (bad magic 0x${magic.toString(16).padStart(8, "0")})`);
  const version = c.u32("version");
  if (version !== 2 && version !== 3) {
    throw new UserError("unsupported", `${name}: GGUF version ${version} is not supported (2 and 3 are)`);
  }
  // Each tensor entry needs at least 8+4+8+4+8 bytes; each kv at least 8+4+1.
  const nTensors = c.count("tensor count", 32, MAX_TENSORS);
  const nKV = c.count("metadata count", 13, MAX_KV);

  const metadata = new Map<string, GGUFEntry>();
  for (let i = 0; i < nKV; i++) {
    const key = c.str("metadata key");
    if (metadata.has(key)) throw new UserError("bad_file", `${name}: metadata key "${key}" appears twice`);
    const type = (c.u32(`type of "${key}"`)) as GGUFValueType;
    const value = readValue(c, type, key, 0);
    metadata.set(key, { type, value });
  }

  let alignment = 32;
  const al = metadata.get("general.alignment");
  if (al) {
    const v = typeof al.value === "number" || typeof al.value === "bigint" ? Number(al.value) : NaN;
    if (!Number.isInteger(v) || v <= 0 || (v & (v - 1)) !== 0 || v > 1 << 20) {
      throw new UserError("bad_file", `${name}: general.alignment ${String(al.value)} is not a power of two`);
    }
    alignment = v;
  }

  const raw: { name: string; dims: number[]; type: GGMLType; rel: number; nElements: number; byteLength: number }[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < nTensors; i++) {
    const tname = c.str("tensor name");
    if (seen.has(tname)) throw new UserError("bad_file", `${name}: tensor "${tname}" appears twice`);
    seen.add(tname);
    const nDims = c.u32(`dimension count of "${tname}"`);
    if (nDims < 1 || nDims > MAX_DIMS) throw new UserError("bad_file", `${name}: tensor "${tname}" has ${nDims} dimensions`);
    const dims: number[] = [];
    let nElements = 1;
    for (let d = 0; d < nDims; d++) {
      const v = c.u64(`dimension of "${tname}"`);
      if (v <= 0n || v > BigInt(source.size) * 8n) {
        throw new UserError("bad_file", `${name}: tensor "${tname}" has an impossible dimension ${v}`);
      }
      dims.push(Number(v));
      nElements *= Number(v);
    }
    const type = (c.u32(`type of "${tname}"`)) as GGMLType;
    const info = ggmlTypeInfo(type);
    if (!info) throw new UserError("unsupported", `${name}: tensor "${tname}" has unsupported ggml type ${ggmlTypeName(type)}`);
    if (dims[0] % info.blockSize !== 0) {
      throw new UserError("bad_file", `${name}: tensor "${tname}" row of ${dims[0]} is not a multiple of the ${info.name} block (${info.blockSize})`);
    }
    const rel = c.u64(`offset of "${tname}"`);
    if (rel > BigInt(source.size)) throw new UserError("bad_file", `${name}: tensor "${tname}" offset ${rel} is past the end of the file`);
    const byteLength = (nElements / info.blockSize) * info.typeSize;
    raw.push({ name: tname, dims, type, rel: Number(rel), nElements, byteLength });
  }

  const dataOffset = Math.ceil(c.pos / alignment) * alignment;
  const tensors: GGUFTensorInfo[] = raw.map((t) => {
    const offset = dataOffset + t.rel;
    if (t.rel % alignment !== 0) throw new UserError("bad_file", `${name}: tensor "${t.name}" offset ${t.rel} is not aligned to ${alignment}`);
    if (offset + t.byteLength > source.size) {
      throw new UserError("bad_file", `${name}: truncated: tensor "${t.name}" needs bytes up to ${offset + t.byteLength}, the file has ${source.size}`);
    }
    return { name: t.name, dims: t.dims, type: t.type, offset, byteLength: t.byteLength, nElements: t.nElements };
  });
  const byName = new Map(tensors.map((t) => [t.name, t]));
  return { source, version, alignment, dataOffset, metadata, tensors, tensor: (n) => byName.get(n) };
}

/** Typed access to metadata, with errors that name the file and key. */
export class GGUFMetadata {
  /** `entries` may come from a GGUF file or be synthesised from another format's config. */
  constructor(readonly fileName: string, readonly entries: ReadonlyMap<string, GGUFEntry>) {}

  static of(file: GGUFFile): GGUFMetadata {
    return new GGUFMetadata(file.source.name, file.metadata);
  }

  has(key: string): boolean { return this.entries.has(key); }

  raw(key: string): GGUFValue | undefined { return this.entries.get(key)?.value; }

  private missing(key: string): never {
    throw new UserError("missing", `${this.fileName}: metadata key "${key}" is missing`);
  }

  string(key: string): string;
  string(key: string, fallback: string): string;
  string(key: string, fallback?: string): string {
    const v = this.raw(key);
    if (v === undefined) return fallback ?? this.missing(key);
    if (typeof v !== "string") throw new UserError("bad_file", `${this.fileName}: metadata "${key}" should be a string`);
    return v;
  }

  number(key: string): number;
  number(key: string, fallback: number): number;
  number(key: string, fallback?: number): number {
    const v = this.raw(key);
    if (v === undefined) return fallback ?? this.missing(key);
    if (typeof v === "number") return v;
    if (typeof v === "bigint") return Number(v);
    if (typeof v === "boolean") return v ? 1 : 0;
    throw new UserError("bad_file", `${this.fileName}: metadata "${key}" should be a number`);
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    return Boolean(v);
  }

  array(key: string): GGUFScalar[];
  array(key: string, fallback: GGUFScalar[]): GGUFScalar[];
  array(key: string, fallback?: GGUFScalar[]): GGUFScalar[] {
    const v = this.raw(key);
    if (v === undefined) return fallback ?? this.missing(key);
    if (typeof v !== "object" || !("items" in v)) throw new UserError("bad_file", `${this.fileName}: metadata "${key}" should be an array`);
    return v.items as GGUFScalar[];
  }

  strings(key: string): string[] {
    return this.array(key).map(String);
  }

  numbers(key: string): number[];
  numbers(key: string, fallback: number[]): number[];
  numbers(key: string, fallback?: number[]): number[] {
    if (!this.has(key) && fallback) return fallback;
    return this.array(key).map(Number);
  }
}
