import { UserError } from "../../errors.js";
import { ggmlRowBytes, ggmlTypeInfo, ggmlTypeName, type GGMLType } from "./ggml-types.js";
import { getDequantizer } from "./quants/index.js";

export { registerDequantizer } from "./quants/index.js";
export type { Dequantizer } from "./quants/index.js";

/**
 * Dequantizes `n` elements of `type` from `src` (which holds exactly whole blocks) into `dst`.
 * This is the reference path (ggml's `to_float`, bit-identical); fast kernels live in the compute backends.
 */
export function hasDequantizer(type: GGMLType): boolean {
  return getDequantizer(type) !== undefined;
}

export function dequantize(type: GGMLType, src: Uint8Array, n: number, dst = new Float32Array(n)): Float32Array {
  const fn = getDequantizer(type);
  if (!fn) throw new UserError("unsupported", `tensor type ${ggmlTypeName(type)} cannot be dequantized`);
  const info = ggmlTypeInfo(type)!;
  if (n % info.blockSize !== 0) throw new Error(`dequantize ${info.name}: ${n} elements is not a multiple of ${info.blockSize}`);
  const need = ggmlRowBytes(type, n);
  if (src.byteLength < need) throw new Error(`dequantize ${info.name}: ${src.byteLength} bytes < ${need} needed`);
  if (dst.length < n) throw new Error(`dequantize ${info.name}: output holds ${dst.length} < ${n} elements`);
  fn(src, dst, n);
  return dst;
}
