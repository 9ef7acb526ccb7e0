import { UserError } from "../../errors.js";
import { ggmlRowBytes, ggmlTypeInfo, ggmlTypeName, type GGMLType } from "./ggml-types.js";
import { getQuantizer } from "./quants/index.js";

/**
 * Encodes float32 values as `type` blocks with ggml's reference quantizers (`quantize_row_*_ref`,
 * what llama-quantize uses without an importance matrix). Row structure does not matter: the
 * blocks never cross a multiple of the block size, so a whole tensor can be passed at once.
 */
export function hasQuantizer(type: GGMLType): boolean {
  return getQuantizer(type) !== undefined;
}

export function quantize(type: GGMLType, src: Float32Array, dst?: Uint8Array): Uint8Array {
  const fn = getQuantizer(type);
  if (!fn) throw new UserError("unsupported", `cannot quantize to ${ggmlTypeName(type)}`);
  const info = ggmlTypeInfo(type)!;
  const n = src.length;
  if (n % info.blockSize !== 0) {
    throw new UserError("bad_argument", `cannot quantize ${n} values to ${info.name}: not a multiple of its block of ${info.blockSize}`);
  }
  const bytes = ggmlRowBytes(type, n);
  const out = dst ?? new Uint8Array(bytes);
  if (out.byteLength < bytes) throw new Error(`quantize ${info.name}: output holds ${out.byteLength} < ${bytes} bytes`);
  fn(src, out, n);
  return out.subarray(0, bytes);
}
