import type { GGMLType } from "../ggml-types.js";

/**
 * Block codecs by ggml type. Kept apart from dequantize.ts so the per-family files can register
 * themselves without an import cycle.
 */

/** Decodes `n` elements (whole blocks) of `src` into `dst` — ggml's `to_float`. */
export type Dequantizer = (src: Uint8Array, dst: Float32Array, n: number) => void;
/** Encodes `n` floats (whole blocks) of `src` into `dst` — ggml's `quantize_row_*_ref`. */
export type Quantizer = (src: Float32Array, dst: Uint8Array, n: number) => void;

const dequantizers = new Map<GGMLType, Dequantizer>();
const quantizers = new Map<GGMLType, Quantizer>();

export function registerDequantizer(type: GGMLType, fn: Dequantizer): void {
  dequantizers.set(type, fn);
}

export function registerQuantizer(type: GGMLType, fn: Quantizer): void {
  quantizers.set(type, fn);
}

export function getDequantizer(type: GGMLType): Dequantizer | undefined {
  return dequantizers.get(type);
}

export function getQuantizer(type: GGMLType): Quantizer | undefined {
  return quantizers.get(type);
}
