import { UserError } from "../../errors.js";
import { BufferedSink, type ByteSink } from "../../io/byte-sink.js";
import { SAFETENSORS_DTYPES, isSafetensorsDType, type SafetensorsDType } from "./dtypes.js";

export interface SafetensorsWriteTensor {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  /** PyTorch order. */
  readonly shape: readonly number[];
  /** The bytes (little-endian), given or produced when the writer reaches this tensor. */
  readonly data: Uint8Array | (() => Promise<Uint8Array>);
}

function bad(problem: string): never {
  throw new UserError("bad_argument", `safetensors: ${problem}`);
}

/**
 * Writes a safetensors file: tensors in the given order, header padded with spaces to a multiple of
 * 8 bytes (as the reference writer does, so data stays aligned). Closes the sink on success, aborts
 * it on error. Returns the bytes written.
 */
export async function writeSafetensors(
  sink: ByteSink, tensors: readonly SafetensorsWriteTensor[], metadata?: Readonly<Record<string, string>>,
): Promise<number> {
  const out = new BufferedSink(sink);
  try {
    const header: Record<string, unknown> = {};
    if (metadata && Object.keys(metadata).length > 0) {
      if (Object.values(metadata).some((v) => typeof v !== "string")) bad("metadata values must be strings");
      header.__metadata__ = metadata;
    }
    let offset = 0;
    const sizes: number[] = [];
    for (const t of tensors) {
      if (!t.name || t.name === "__metadata__" || t.name in header) bad(`tensor name "${t.name}" is empty, reserved or repeated`);
      if (!isSafetensorsDType(t.dtype)) bad(`tensor "${t.name}": unknown dtype ${String(t.dtype)}`);
      if (t.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) bad(`tensor "${t.name}": bad shape [${t.shape}]`);
      const bytes = t.shape.reduce((a, d) => a * d, 1) * SAFETENSORS_DTYPES[t.dtype];
      header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
      sizes.push(bytes);
      offset += bytes;
    }
    let json = JSON.stringify(header);
    const enc = new TextEncoder();
    let jsonBytes = enc.encode(json);
    json += " ".repeat((8 - (jsonBytes.byteLength % 8)) % 8);
    jsonBytes = enc.encode(json);
    const len = new Uint8Array(8);
    new DataView(len.buffer).setBigUint64(0, BigInt(jsonBytes.byteLength), true);
    await out.write(len);
    await out.write(jsonBytes);
    for (let i = 0; i < tensors.length; i++) {
      const t = tensors[i];
      const data = typeof t.data === "function" ? await t.data() : t.data;
      if (data.byteLength !== sizes[i]) bad(`tensor "${t.name}": data has ${data.byteLength} bytes, ${t.dtype} [${t.shape}] needs ${sizes[i]}`);
      await out.write(data);
    }
    await out.flush();
    await sink.close();
    return out.written;
  } catch (e) {
    await sink.abort?.(e);
    throw e;
  }
}
