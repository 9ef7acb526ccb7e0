import { UserError } from "../../errors.js";
import { ByteBuilder } from "../../io/byte-builder.js";
import { BufferedSink, type ByteSink } from "../../io/byte-sink.js";
import { ggmlTypeInfo, ggmlTypeName, type GGMLType } from "./ggml-types.js";
import { GGUFValueType, type GGUFArray, type GGUFEntry, type GGUFValue } from "./types.js";

/** One metadata key as written: 64-bit integers are bigint (safe-integer numbers are accepted too). */
export interface GGUFWriteEntry {
  readonly key: string;
  readonly type: GGUFValueType;
  readonly value: GGUFValue;
}

/**
 * A tensor's bytes: given, or produced on demand (whole, or as a stream of chunks) when the writer
 * reaches it, so only one tensor at a time needs to exist in memory.
 */
export type GGUFTensorData = Uint8Array | (() => Promise<Uint8Array | AsyncIterable<Uint8Array>>);

export interface GGUFWriteTensor {
  readonly name: string;
  /** ggml order: dims[0] is the row length. */
  readonly dims: readonly number[];
  readonly type: GGMLType;
  readonly data: GGUFTensorData;
}

export interface GGUFWriteOptions {
  /** 3 (default) or 2; both use 64-bit counts and lengths (only GGUF v1 had 32-bit ones). */
  readonly version?: 2 | 3;
  readonly metadata: readonly GGUFWriteEntry[];
  readonly tensors: readonly GGUFWriteTensor[];
  /** Tensor data alignment; default `general.alignment` from the metadata, else 32. */
  readonly alignment?: number;
}

const GGUF_MAGIC = 0x46554747;
const MAX_NAME_BYTES = 63; // ggml's GGML_MAX_NAME (64) including the terminating zero
const MAX_DIMS = 4;

/** Metadata as read by `readGGUF`, in file order, ready to write back. */
export function ggufEntries(metadata: ReadonlyMap<string, GGUFEntry>): GGUFWriteEntry[] {
  return [...metadata].map(([key, e]) => ({ key, type: e.type, value: e.value }));
}

function bad(where: string, problem: string): never {
  throw new UserError("bad_argument", `${where}: ${problem}`);
}

const INT_RANGE: Partial<Record<GGUFValueType, [number, number]>> = {
  [GGUFValueType.UINT8]: [0, 0xff],
  [GGUFValueType.INT8]: [-0x80, 0x7f],
  [GGUFValueType.UINT16]: [0, 0xffff],
  [GGUFValueType.INT16]: [-0x8000, 0x7fff],
  [GGUFValueType.UINT32]: [0, 0xffffffff],
  [GGUFValueType.INT32]: [-0x80000000, 0x7fffffff],
};

function writeValue(b: ByteBuilder, type: GGUFValueType, v: GGUFValue, where: string, depth: number): void {
  const range = INT_RANGE[type];
  if (range) {
    const n = typeof v === "bigint" ? Number(v) : v;
    if (typeof n !== "number" || !Number.isInteger(n) || n < range[0] || n > range[1]) {
      bad(where, `${String(v)} is not a ${GGUFValueType[type]}`);
    }
  }
  switch (type) {
    case GGUFValueType.UINT8: return b.u8(Number(v));
    case GGUFValueType.INT8: return b.i8(Number(v));
    case GGUFValueType.UINT16: return b.u16(Number(v));
    case GGUFValueType.INT16: return b.i16(Number(v));
    case GGUFValueType.UINT32: return b.u32(Number(v));
    case GGUFValueType.INT32: return b.i32(Number(v));
    case GGUFValueType.FLOAT32:
    case GGUFValueType.FLOAT64:
      if (typeof v !== "number") bad(where, `${String(v)} is not a number`);
      return type === GGUFValueType.FLOAT32 ? b.f32(v) : b.f64(v);
    case GGUFValueType.UINT64:
    case GGUFValueType.INT64: {
      const big = typeof v === "bigint" ? v : typeof v === "number" && Number.isSafeInteger(v) ? BigInt(v) : undefined;
      const lo = type === GGUFValueType.UINT64 ? 0n : -(1n << 63n);
      const hi = type === GGUFValueType.UINT64 ? (1n << 64n) - 1n : (1n << 63n) - 1n;
      if (big === undefined || big < lo || big > hi) bad(where, `${String(v)} is not a ${GGUFValueType[type]}`);
      return type === GGUFValueType.UINT64 ? b.u64(big) : b.i64(big);
    }
    case GGUFValueType.BOOL:
      if (typeof v !== "boolean") bad(where, `${String(v)} is not a boolean`);
      return b.u8(v ? 1 : 0);
    case GGUFValueType.STRING: {
      if (typeof v !== "string") bad(where, `${String(v)} is not a string`);
      const s = ByteBuilder.utf8(v);
      b.u64(s.byteLength);
      return b.bytes(s);
    }
    case GGUFValueType.ARRAY: {
      if (typeof v !== "object" || v === null || !Array.isArray((v as GGUFArray).items)) bad(where, "expected an array value {itemType, items}");
      if (depth >= 4) bad(where, "arrays nested too deeply");
      const arr = v as GGUFArray;
      if (GGUFValueType[arr.itemType] === undefined) bad(where, `unknown array element type ${arr.itemType}`);
      b.u32(arr.itemType);
      b.u64(arr.items.length);
      for (let i = 0; i < arr.items.length; i++) writeValue(b, arr.itemType, arr.items[i], `${where}[${i}]`, depth + 1);
      return;
    }
    default:
      bad(where, `unknown value type ${String(type)}`);
  }
}

function resolveAlignment(opts: GGUFWriteOptions): { alignment: number; metadata: readonly GGUFWriteEntry[] } {
  const entry = opts.metadata.find((e) => e.key === "general.alignment");
  if (entry && entry.type !== GGUFValueType.UINT32) bad("general.alignment", "must be a UINT32");
  const fromMeta = entry ? Number(entry.value) : undefined;
  const alignment = opts.alignment ?? fromMeta ?? 32;
  if (!Number.isInteger(alignment) || alignment <= 0 || alignment > 1 << 20 || (alignment & (alignment - 1)) !== 0) {
    bad("alignment", `${alignment} is not a power of two`);
  }
  if (fromMeta !== undefined && fromMeta !== alignment) {
    bad("alignment", `${alignment} differs from general.alignment ${fromMeta} in the metadata`);
  }
  // readers assume 32 unless the file says otherwise
  const metadata = entry || alignment === 32
    ? opts.metadata
    : [...opts.metadata, { key: "general.alignment", type: GGUFValueType.UINT32, value: alignment }];
  return { alignment, metadata };
}

interface Planned { tensor: GGUFWriteTensor; byteLength: number; offset: number }

function planTensors(tensors: readonly GGUFWriteTensor[], alignment: number): Planned[] {
  const seen = new Set<string>();
  let offset = 0;
  return tensors.map((t) => {
    const where = `tensor "${t.name}"`;
    if (!t.name || ByteBuilder.utf8(t.name).byteLength > MAX_NAME_BYTES) bad(where, `name must have 1..${MAX_NAME_BYTES} bytes`);
    if (seen.has(t.name)) bad(where, "appears twice");
    seen.add(t.name);
    const info = ggmlTypeInfo(t.type);
    if (!info) bad(where, `unknown ggml type ${ggmlTypeName(t.type)}`);
    if (t.dims.length < 1 || t.dims.length > MAX_DIMS || t.dims.some((d) => !Number.isSafeInteger(d) || d <= 0)) {
      bad(where, `dims [${t.dims}] must be 1 to ${MAX_DIMS} positive integers`);
    }
    if (t.dims[0] % info.blockSize !== 0) bad(where, `row of ${t.dims[0]} is not a multiple of the ${info.name} block (${info.blockSize})`);
    const n = t.dims.reduce((a, d) => a * d, 1);
    const byteLength = (n / info.blockSize) * info.typeSize;
    const p = { tensor: t, byteLength, offset };
    offset += Math.ceil(byteLength / alignment) * alignment;
    return p;
  });
}

function buildHeader(version: number, metadata: readonly GGUFWriteEntry[], plan: Planned[], alignment: number): Uint8Array {
  const b = new ByteBuilder();
  b.u32(GGUF_MAGIC);
  b.u32(version);
  b.u64(plan.length);
  b.u64(metadata.length);
  const keys = new Set<string>();
  for (const e of metadata) {
    if (!e.key) bad("metadata", "empty key");
    if (keys.has(e.key)) bad(`metadata "${e.key}"`, "appears twice");
    keys.add(e.key);
    const k = ByteBuilder.utf8(e.key);
    b.u64(k.byteLength);
    b.bytes(k);
    b.u32(e.type);
    writeValue(b, e.type, e.value, `metadata "${e.key}"`, 0);
  }
  for (const p of plan) {
    const name = ByteBuilder.utf8(p.tensor.name);
    b.u64(name.byteLength);
    b.bytes(name);
    b.u32(p.tensor.dims.length);
    for (const d of p.tensor.dims) b.u64(d);
    b.u32(p.tensor.type);
    b.u64(p.offset);
  }
  b.zeros((alignment - (b.length % alignment)) % alignment);
  return b.toUint8Array();
}

async function writeTensorData(out: BufferedSink, p: Planned): Promise<void> {
  const { tensor } = p;
  const data = typeof tensor.data === "function" ? await tensor.data() : tensor.data;
  let n = 0;
  const tooMuch = () => bad(`tensor "${tensor.name}"`, `data is longer than the ${p.byteLength} bytes ${ggmlTypeName(tensor.type)} [${tensor.dims}] needs`);
  if (data instanceof Uint8Array) {
    n = data.byteLength;
    if (n > p.byteLength) tooMuch();
    if (n === p.byteLength) await out.write(data);
  } else {
    for await (const chunk of data) {
      n += chunk.byteLength;
      if (n > p.byteLength) tooMuch();
      await out.write(chunk);
    }
  }
  if (n !== p.byteLength) {
    bad(`tensor "${tensor.name}"`, `data has ${n} bytes, ${ggmlTypeName(tensor.type)} [${tensor.dims}] needs ${p.byteLength}`);
  }
}

/**
 * Writes a GGUF file: header, metadata, tensor table, then each tensor's data (fetched one at a time)
 * padded to the alignment, as ggml and gguf-py lay it out. Closes the sink on success and aborts it
 * on any error. Returns the number of bytes written.
 */
export async function writeGGUF(sink: ByteSink, opts: GGUFWriteOptions): Promise<number> {
  const out = new BufferedSink(sink);
  try {
    const version = opts.version ?? 3;
    if (version !== 2 && version !== 3) bad("version", `GGUF version ${String(version)} cannot be written (2 and 3 can)`);
    const { alignment, metadata } = resolveAlignment(opts);
    const plan = planTensors(opts.tensors, alignment);
    await out.write(buildHeader(version, metadata, plan, alignment));
    for (const p of plan) {
      await writeTensorData(out, p);
      await out.zeros((alignment - (p.byteLength % alignment)) % alignment);
    }
    await out.flush();
    await sink.close();
    return out.written;
  } catch (e) {
    await sink.abort?.(e);
    throw e;
  }
}
