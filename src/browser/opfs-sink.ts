import type { ChunkSink } from "./download.js";

interface SyncHandle {
  write(buffer: BufferSource, options?: { at?: number }): number;
  truncate(size: number): void;
  flush(): void;
  close(): void;
}

/**
 * A ChunkSink writing an OPFS file from its start: a synchronous access handle where there is one
 * (dedicated workers, the fastest path), else a writable stream (window contexts).
 */
export async function opfsSink(file: FileSystemFileHandle): Promise<ChunkSink> {
  const createSync = (file as unknown as { createSyncAccessHandle?: () => Promise<SyncHandle> }).createSyncAccessHandle;
  if (typeof createSync === "function") {
    const h = await createSync.call(file);
    h.truncate(0);
    return {
      write(chunk, at) {
        let off = 0;
        while (off < chunk.length) off += h.write(chunk.subarray(off) as Uint8Array<ArrayBuffer>, { at: at + off });
      },
      close() {
        h.flush();
        h.close();
      },
    };
  }
  const w = await file.createWritable({ keepExistingData: false });
  return {
    write: (chunk) => w.write(chunk as Uint8Array<ArrayBuffer>),
    close: () => w.close(),
  };
}
