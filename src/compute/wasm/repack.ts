/**
 * Inverse of assembly/kernels/repack.ts for one row: the kernel layout (d[nb] | m[nb] | qh[nb] | qs)
 * back to ggml's blocks, so getRows can use the reference dequantizers.
 */
import { REPACK_Q4_K } from "./kernel-abi.js";

const Q4_K_BYTES = 144;

const LAYOUT: Record<number, { min: boolean; high: boolean; quant: number }> = {
  0: { min: false, high: false, quant: 16 }, // Q4_0
  1: { min: true, high: false, quant: 16 }, // Q4_1
  2: { min: false, high: true, quant: 16 }, // Q5_0
  3: { min: true, high: true, quant: 16 }, // Q5_1
  4: { min: false, high: false, quant: 32 }, // Q8_0
};

export function unpackRow(kind: number, src: Uint8Array, nb: number, dst: Uint8Array = new Uint8Array(src.length)): Uint8Array {
  if (kind === REPACK_Q4_K) return unpackQ4K(src, nb / 8, dst);
  const { min, high, quant } = LAYOUT[kind];
  const bs = 2 + (min ? 2 : 0) + (high ? 4 : 0) + quant;
  const mOff = nb * 2;
  const hOff = mOff + (min ? nb * 2 : 0);
  const qOff = hOff + (high ? nb * 4 : 0);
  const full = nb & ~3;
  for (let b = 0; b < nb; b++) {
    const o = b * bs;
    dst[o] = src[2 * b];
    dst[o + 1] = src[2 * b + 1];
    let p = o + 2;
    if (min) {
      dst[p] = src[mOff + 2 * b];
      dst[p + 1] = src[mOff + 2 * b + 1];
      p += 2;
    }
    if (high) {
      let qh = 0;
      if (b < full) {
        // transposed group: bit h of byte j is element j + 16(h & 1) of block 4g + (h >> 1)
        const g = hOff + (b & ~3) * 4;
        const k = b & 3;
        for (let e = 0; e < 32; e++) qh |= ((src[g + (e & 15)] >> (2 * k + (e >> 4))) & 1) << e;
      } else {
        qh = src[hOff + 4 * b] | (src[hOff + 4 * b + 1] << 8) | (src[hOff + 4 * b + 2] << 16) | (src[hOff + 4 * b + 3] << 24);
      }
      dst[p] = qh & 0xff;
      dst[p + 1] = (qh >>> 8) & 0xff;
      dst[p + 2] = (qh >>> 16) & 0xff;
      dst[p + 3] = (qh >>> 24) & 0xff;
      p += 4;
    }
    dst.set(src.subarray(qOff + b * quant, qOff + (b + 1) * quant), p);
  }
  return dst;
}

/**
 * Row `id` of a repacked weight of `rows` rows at `ptr` in `u8`, back in ggml's block order (into dst,
 * rowBytes long). Q4_K also interleaves the super-blocks of each full group of 4 rows (mm-q4k.ts).
 */
export function readRow(kind: number, u8: Uint8Array, ptr: number, rows: number, rowBytes: number, nb: number, id: number, dst: Uint8Array): Uint8Array {
  if (kind !== REPACK_Q4_K || id >= (rows & ~3)) return unpackRow(kind, u8.subarray(ptr + id * rowBytes, ptr + (id + 1) * rowBytes), nb, dst);
  const nsb = nb / 8;
  const row = new Uint8Array(rowBytes);
  const base = ptr + (id & ~3) * rowBytes + (id & 3) * Q4_K_BYTES;
  for (let sb = 0; sb < nsb; sb++) {
    const at = base + sb * 4 * Q4_K_BYTES;
    row.set(u8.subarray(at, at + Q4_K_BYTES), sb * Q4_K_BYTES);
  }
  return unpackQ4K(row, nsb, dst);
}

/** Q4_K: interleaved quants (assembly/kernels/mm-q4k.ts) back to ggml's order; nsb super-blocks. */
function unpackQ4K(src: Uint8Array, nsb: number, dst: Uint8Array): Uint8Array {
  for (let s = 0; s < nsb; s++) {
    const o = s * 144;
    dst.set(src.subarray(o, o + 16), o);
    for (let i = 0; i < 8; i++) {
      for (let k = 0; k < 8; k++) {
        for (let b = 0; b < 2; b++) {
          const v = src[o + 16 + 16 * i + 2 * k + b];
          // element e of sub-block k lives in ggml byte 32(k >> 1) + e, nibble k & 1
          const sh = (k & 1) * 4;
          const keep = (k & 1) ? 0x0f : 0xf0;
          const lo = o + 16 + 32 * (k >> 1) + 4 * i + b;
          dst[lo] = (dst[lo] & keep) | ((v & 15) << sh);
          dst[lo + 2] = (dst[lo + 2] & keep) | ((v >> 4) << sh);
        }
      }
    }
  }
  return dst;
}
