import { UserError } from "../../errors.js";
import type { ByteSource } from "../../io/byte-source.js";
import { SAFETENSORS_DTYPES, isSafetensorsDType, type SafetensorsDType } from "./dtypes.js";

/**
 * safetensors: u64 little-endian header length N, N bytes of JSON
 * `{"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}}`, then the
 * data; offsets are relative to the data start and must tile it exactly (no holes, no overlap).
 */
export interface SafetensorsTensor {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  /** PyTorch order (last dimension fastest). */
  readonly shape: readonly number[];
  /** Absolute byte offset in the file. */
  readonly offset: number;
  readonly byteLength: number;
}

export interface SafetensorsFile {
  readonly source: ByteSource;
  readonly metadata: Readonly<Record<string, string>>;
  /** In file (offset) order. */
  readonly tensors: readonly SafetensorsTensor[];
  readonly dataOffset: number;
  tensor(name: string): SafetensorsTensor | undefined;
}

/** The reference implementation's limit; real headers are well under 1 MB. */
const MAX_HEADER_BYTES = 100_000_000;

export async function readSafetensors(source: ByteSource): Promise<SafetensorsFile> {
  const name = source.name;
  function fail(problem: string): never {
    throw new UserError("bad_file", `${name}: not a valid safetensors file (${problem})`);
  }
  if (source.size < 8) fail(`only ${source.size} bytes`);
  const lenBytes = await source.read(0, 8);
  const n = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true);
  if (n < 2n || n > BigInt(MAX_HEADER_BYTES)) fail(`header length ${n}`);
  const headerLen = Number(n);
  if (8 + headerLen > source.size) fail(`header of ${headerLen} bytes runs past the end of the ${source.size}-byte file`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(await source.read(8, headerLen)));
  } catch (e) {
    fail(`header is not UTF-8 JSON: ${(e as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) fail("header is not a JSON object");
  const dataOffset = 8 + headerLen;
  const dataSize = source.size - dataOffset;

  let metadata: Record<string, string> = {};
  const tensors: SafetensorsTensor[] = [];
  for (const [key, entry] of Object.entries(json as Record<string, unknown>)) {
    if (key === "__metadata__") {
      if (typeof entry !== "object" || entry === null || Array.isArray(entry) || Object.values(entry).some((v) => typeof v !== "string")) {
        fail("__metadata__ must map strings to strings");
      }
      metadata = { ...(entry as Record<string, string>) };
      continue;
    }
    const where = `tensor "${key}"`;
    if (typeof entry !== "object" || entry === null) fail(`${where} is not an object`);
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (!isSafetensorsDType(dtype)) fail(`${where} has unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) fail(`${where} has a bad shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((o) => !Number.isSafeInteger(o) || o < 0)) {
      fail(`${where} has bad data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as number[];
    const elements = (shape as number[]).reduce((a, d) => a * d, 1);
    const bytes = elements * SAFETENSORS_DTYPES[dtype];
    if (end < begin || end - begin !== bytes) fail(`${where}: data_offsets [${begin}, ${end}] do not hold ${dtype} [${shape}] (${bytes} bytes)`);
    if (end > dataSize) fail(`${where}: data ends at ${end}, past the ${dataSize} bytes of data (truncated file?)`);
    tensors.push({ name: key, dtype, shape: shape as number[], offset: dataOffset + begin, byteLength: bytes });
  }
  tensors.sort((a, b) => a.offset - b.offset || a.byteLength - b.byteLength);
  let at = dataOffset;
  for (const t of tensors) {
    if (t.offset !== at) fail(`tensor "${t.name}" starts at data byte ${t.offset - dataOffset}, expected ${at - dataOffset} (hole or overlap)`);
    at += t.byteLength;
  }
  if (at !== source.size) fail(`${source.size - at} bytes after the last tensor`);
  const byName = new Map(tensors.map((t) => [t.name, t]));
  return { source, metadata, tensors, dataOffset, tensor: (k) => byName.get(k) };
}
