/**
 * Reads the 64-byte lines lo..hi at p and returns a checksum: the read-bandwidth yardstick that
 * bench/kernels.ts runs beside the matrix products (same threads, same process).
 */
export function stream_read(p: usize, lo: i32, hi: i32): i32 {
  let a = i32x4.splat(0), b = a, c = a, d = a;
  for (let i = <usize>lo << 6; i < <usize>hi << 6; i += 64) {
    a = i32x4.add(a, v128.load(p + i)); b = i32x4.add(b, v128.load(p + i, 16));
    c = i32x4.add(c, v128.load(p + i, 32)); d = i32x4.add(d, v128.load(p + i, 48));
  }
  const s = i32x4.add(i32x4.add(a, b), i32x4.add(c, d));
  return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1) + i32x4.extract_lane(s, 2) + i32x4.extract_lane(s, 3);
}
