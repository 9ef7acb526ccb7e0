/**
 * The I/O port: everything below the interfaces layer reads bytes through a `ByteSource`, so the same
 * core runs on Node files, browser Blobs/OPFS files, HTTP ranges or in-memory buffers.
 */
export interface ByteSource {
  /** Shown in error messages (a path, a URL, a file name). */
  readonly name: string;
  /** Total size in bytes (may exceed 4 GiB; JavaScript numbers are exact up to 2^53). */
  readonly size: number;
  /**
   * Reads `length` bytes at `offset`. If `into` is given the bytes are written there (its length must be
   * >= `length`) and a view of it is returned; this lets backends read weights straight into their memory.
   * Reading past the end is an error.
   */
  read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array>;
  /** Releases the underlying handle, if any. */
  close?(): Promise<void>;
}

/** A ByteSource over bytes already in memory. */
export function bytesSource(name: string, bytes: Uint8Array): ByteSource {
  return {
    name,
    size: bytes.byteLength,
    async read(offset, length, into) {
      if (offset < 0 || length < 0 || offset + length > bytes.byteLength) {
        throw new RangeError(`${name}: read of ${length} bytes at ${offset} is past the end (${bytes.byteLength} bytes)`);
      }
      const view = bytes.subarray(offset, offset + length);
      if (into) {
        into.set(view);
        return into.subarray(0, length);
      }
      return view;
    },
  };
}

/** A ByteSource over a Blob (browser File objects included). */
export function blobSource(name: string, blob: Blob): ByteSource {
  return {
    name,
    size: blob.size,
    async read(offset, length, into) {
      if (offset < 0 || length < 0 || offset + length > blob.size) {
        throw new RangeError(`${name}: read of ${length} bytes at ${offset} is past the end (${blob.size} bytes)`);
      }
      const buf = new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
      if (into) {
        into.set(buf);
        return into.subarray(0, length);
      }
      return buf;
    },
  };
}
