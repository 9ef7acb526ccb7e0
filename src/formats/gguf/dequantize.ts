import { UserError } from "../../errors.js";
import { bf16ToFloat, halfToFloat } from "../../util/f16.js";
import { GGMLType, ggmlRowBytes, ggmlTypeName } from "./ggml-types.js";

/**
 * Dequantizes `n` elements of `type` from `src` (which holds exactly whole blocks) into `dst`.
 * This is the reference path (ggml's `to_float`); fast kernels live in the compute backends.
 */
export type Dequantizer = (src: Uint8Array, dst: Float32Array, n: number) => void;

const registry = new Map<GGMLType, Dequantizer>();

export function registerDequantizer(type: GGMLType, fn: Dequantizer): void {
  registry.set(type, fn);
}

export function hasDequantizer(type: GGMLType): boolean {
  return registry.has(type);
}

export function dequantize(type: GGMLType, src: Uint8Array, n: number, dst = new Float32Array(n)): Float32Array {
  const fn = registry.get(type);
  if (!fn) throw new UserError("unsupported", `tensor type ${ggmlTypeName(type)} cannot be dequantized`);
  const need = ggmlRowBytes(type, n);
  if (src.byteLength < need) throw new Error(`dequantize ${ggmlTypeName(type)}: ${src.byteLength} bytes < ${need} needed`);
  fn(src, dst, n);
  return dst;
}

function dv(src: Uint8Array): DataView {
  return new DataView(src.buffer, src.byteOffset, src.byteLength);
}

registerDequantizer(GGMLType.F32, (src, dst, n) => {
  const v = dv(src);
  for (let i = 0; i < n; i++) dst[i] = v.getFloat32(i * 4, true);
});
registerDequantizer(GGMLType.F16, (src, dst, n) => {
  const v = dv(src);
  for (let i = 0; i < n; i++) dst[i] = halfToFloat(v.getUint16(i * 2, true));
});
registerDequantizer(GGMLType.BF16, (src, dst, n) => {
  const v = dv(src);
  for (let i = 0; i < n; i++) dst[i] = bf16ToFloat(v.getUint16(i * 2, true));
});
