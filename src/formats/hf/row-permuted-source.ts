import type { ByteSource } from "../../io/byte-source.js";

/**
 * A read-only view of a matrix stored in `base` at `offset` whose rows appear reordered: row r of
 * the view is row perm[r] of the stored matrix. Bytes are copied only when read, so re-ordering the
 * rows of a multi-GB checkpoint costs no memory.
 */
export function rowPermutedSource(name: string, base: ByteSource, offset: number, rowBytes: number, perm: Int32Array): ByteSource {
  const size = rowBytes * perm.length;
  return {
    name,
    size,
    async read(at, length, into) {
      if (at < 0 || length < 0 || at + length > size) {
        throw new RangeError(`${name}: read of ${length} bytes at ${at} is past the end (${size} bytes)`);
      }
      const out = into ? into.subarray(0, length) : new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const r = Math.floor((at + done) / rowBytes);
        const within = (at + done) % rowBytes;
        const n = Math.min(rowBytes - within, length - done);
        await base.read(offset + perm[r] * rowBytes + within, n, out.subarray(done, done + n));
        done += n;
      }
      return out;
    },
  };
}

/**
 * llama.cpp's row order for the Q/K projections of NORM-rope architectures (llama, minicpm): HF stores
 * each head's rows as [first halves | second halves] for rotate_half; llama.cpp pairs them (0, d/2),
 * (1, d/2+1), ... The view's row h·d + 2i + j is stored row h·d + j·d/2 + i.
 */
export function ropePairPermutation(nHeads: number, rows: number): Int32Array {
  const d = rows / nHeads;
  const perm = new Int32Array(rows);
  for (let h = 0; h < nHeads; h++) {
    for (let i = 0; i < d / 2; i++) {
      for (let j = 0; j < 2; j++) perm[h * d + 2 * i + j] = h * d + j * (d / 2) + i;
    }
  }
  return perm;
}
