// In-place repacking of the 32-element block types into a kernel-friendly row layout of the same size:
//   ggml row:    nb × {d f16, [m f16], [qh u32], qs[16|32]}
//   packed row:  d[nb] f16 | [m[nb] f16] | [qh[nb] u32] | qs[nb][16|32]
// so quant bytes are contiguous (aligned 16-byte loads) and 4 scales load at once. For Q5 the high
// bits of each group of 4 blocks are transposed into one 16-byte vector: bit h of byte j is the high
// bit of element j of half-block h (h = 2·block + half), which a shift and a mask turn into a nibble's
// bit 4. A tail of nb % 4 blocks keeps ggml's per-block u32. src/compute/wasm/repack.ts inverts this.

export const KIND_Q4_0 = 0;
export const KIND_Q4_1 = 1;
export const KIND_Q5_0 = 2;
export const KIND_Q5_1 = 3;
export const KIND_Q8_0 = 4;

@inline export function hasMin(kind: i32): bool { return kind == KIND_Q4_1 || kind == KIND_Q5_1; }
@inline export function hasHigh(kind: i32): bool { return kind == KIND_Q5_0 || kind == KIND_Q5_1; }
@inline export function quantBytes(kind: i32): i32 { return kind == KIND_Q8_0 ? 32 : 16; }
@inline export function blockBytes(kind: i32): i32 {
  return 2 + (hasMin(kind) ? 2 : 0) + (hasHigh(kind) ? 4 : 0) + quantBytes(kind);
}

/** Transposes the qh words of 4 consecutive blocks (at src, stride srcStride) into 16 bytes at dst. */
function transposeHigh4(src: usize, srcStride: usize, dst: usize): void {
  for (let j = 0; j < 16; j++) {
    let byte = 0;
    for (let h = 0; h < 8; h++) {
      const qh = load<u32>(src + <usize>(h >> 1) * srcStride);
      byte |= ((qh >> (j + 16 * (h & 1))) & 1) << h;
    }
    store<u8>(dst + j, <u8>byte);
  }
}

export function repack_rows(kind: i32, w: usize, rows: i32, nb: i32, tmp: usize): void {
  const bs = <usize>blockBytes(kind);
  const qb = <usize>quantBytes(kind);
  const rowBytes = <usize>nb * bs;
  const mOff = <usize>nb * 2;
  const hOff = mOff + (hasMin(kind) ? <usize>nb * 2 : 0);
  const qOff = hOff + (hasHigh(kind) ? <usize>nb * 4 : 0);
  const hIn: usize = hasMin(kind) ? 4 : 2;
  const qIn: usize = hIn + (hasHigh(kind) ? 4 : 0);
  for (let r = 0; r < rows; r++) {
    const row = w + <usize>r * rowBytes;
    memory.copy(tmp, row, rowBytes);
    for (let b = 0; b < nb; b++) {
      const blk = tmp + <usize>b * bs;
      store<u16>(row + (<usize>b << 1), load<u16>(blk));
      if (hasMin(kind)) store<u16>(row + mOff + (<usize>b << 1), load<u16>(blk, 2));
      memory.copy(row + qOff + <usize>b * qb, blk + qIn, qb);
    }
    if (hasHigh(kind)) {
      const full = nb & ~3;
      for (let b = 0; b < full; b += 4) transposeHigh4(tmp + <usize>b * bs + hIn, bs, row + hOff + (<usize>b << 2));
      for (let b = full; b < nb; b++) store<u32>(row + hOff + (<usize>b << 2), load<u32>(tmp + <usize>b * bs + hIn));
    }
  }
}
