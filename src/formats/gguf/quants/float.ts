import { floatToHalf, halfToFloat } from "../../../util/f16.js";
import { GGMLType } from "../ggml-types.js";
import { registerDequantizer, registerQuantizer } from "./registry.js";

/** The unquantized float types (F32, F16, BF16), little-endian. */

const u32 = new Uint32Array(1);
const fl = new Float32Array(u32.buffer);

/** ggml_compute_fp32_to_bf16: round to nearest even, NaN forced quiet. */
export function floatToBF16(x: number): number {
  fl[0] = x;
  const i = u32[0];
  if ((i & 0x7fffffff) > 0x7f800000) return ((i >>> 16) | 64) & 0xffff;
  return ((i + (0x7fff + ((i >>> 16) & 1))) >>> 16) & 0xffff;
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

// typed-array views use the platform's byte order; GGUF and safetensors are little-endian
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

registerDequantizer(GGMLType.F32, (src, dst, n) => {
  if (LITTLE_ENDIAN && src.byteOffset % 4 === 0) {
    dst.set(new Float32Array(src.buffer, src.byteOffset, n));
    return;
  }
  const v = view(src);
  for (let i = 0; i < n; i++) dst[i] = v.getFloat32(i * 4, true);
});

/** Little-endian u16 values of src, without a copy when alignment and byte order allow. */
function u16s(src: Uint8Array, n: number): Uint16Array {
  if (LITTLE_ENDIAN && src.byteOffset % 2 === 0) return new Uint16Array(src.buffer, src.byteOffset, n);
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) out[i] = src[2 * i] | (src[2 * i + 1] << 8);
  return out;
}
registerQuantizer(GGMLType.F32, (src, dst, n) => {
  const v = view(dst);
  for (let i = 0; i < n; i++) v.setFloat32(i * 4, src[i], true);
});

registerDequantizer(GGMLType.F16, (src, dst, n) => {
  const h = u16s(src, n);
  for (let i = 0; i < n; i++) dst[i] = halfToFloat(h[i]);
});
registerQuantizer(GGMLType.F16, (src, dst, n) => {
  for (let i = 0; i < n; i++) {
    const h = floatToHalf(src[i]);
    dst[2 * i] = h & 0xff;
    dst[2 * i + 1] = h >>> 8;
  }
});

registerDequantizer(GGMLType.BF16, (src, dst, n) => {
  const h = u16s(src, n);
  const bits = new Uint32Array(dst.buffer, dst.byteOffset, n);
  for (let i = 0; i < n; i++) bits[i] = h[i] << 16; // bf16 is the top half of a float32
});
registerQuantizer(GGMLType.BF16, (src, dst, n) => {
  for (let i = 0; i < n; i++) {
    const h = floatToBF16(src[i]);
    dst[2 * i] = h & 0xff;
    dst[2 * i + 1] = h >>> 8;
  }
});
