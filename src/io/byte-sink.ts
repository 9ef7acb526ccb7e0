/**
 * The output port: writers (GGUF, safetensors) stream bytes into a `ByteSink`, so the same code writes
 * to a Node file, a browser file handle or memory. Writes are sequential; a writer calls `close()` once
 * after the last write, or `abort()` when it gives up, so a sink can drop what it received (a file
 * sink deletes its partial file and leaves nothing half-written behind).
 */
export interface ByteSink {
  /** Shown in error messages (a path, a file name). */
  readonly name?: string;
  /** Appends `chunk`. The sink must not keep a reference: callers may reuse the buffer afterwards. */
  write(chunk: Uint8Array): Promise<void>;
  /** Completes the output (for a file: flush and move into place). */
  close(): Promise<void>;
  /** Discards the output. Safe to call after a failed write; never throws. */
  abort?(reason?: unknown): Promise<void>;
}

export interface MemorySink extends ByteSink {
  /** Bytes written so far. */
  readonly size: number;
  readonly closed: boolean;
  /** Everything written so far, as one array. */
  bytes(): Uint8Array;
}

/** A ByteSink collecting into memory (tests, small files, browser downloads). */
export function memorySink(name = "memory"): MemorySink {
  let chunks: Uint8Array[] = [];
  let size = 0;
  let closed = false;
  return {
    name,
    get size() { return size; },
    get closed() { return closed; },
    async write(chunk) {
      if (closed) throw new Error(`${name}: write after close`);
      chunks.push(chunk.slice());
      size += chunk.byteLength;
    },
    async close() {
      closed = true;
    },
    async abort() {
      chunks = [];
      size = 0;
      closed = true;
    },
    bytes() {
      const out = new Uint8Array(size);
      let o = 0;
      for (const c of chunks) { out.set(c, o); o += c.byteLength; }
      chunks = [out];
      return out;
    },
  };
}

/**
 * A ByteSink over a WHATWG WritableStream (a browser FileSystemWritableFileStream, a Node Writable
 * turned web stream, a download stream). Chunks are copied, since streams may queue them.
 */
export function streamSink(name: string, stream: WritableStream<Uint8Array>): ByteSink {
  const writer = stream.getWriter();
  return {
    name,
    async write(chunk) {
      await writer.write(chunk.slice());
    },
    async close() {
      await writer.close();
    },
    async abort(reason) {
      await writer.abort(reason).catch(() => undefined);
    },
  };
}

/**
 * Coalesces small writes into chunks of about `chunkSize` bytes before they reach the sink; large
 * chunks go straight through. Call `flush()` before closing the sink.
 */
export class BufferedSink {
  private buf: Uint8Array;
  private used = 0;
  /** Total bytes accepted. */
  written = 0;

  constructor(readonly sink: ByteSink, chunkSize = 1 << 20) {
    this.buf = new Uint8Array(chunkSize);
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.written += chunk.byteLength;
    if (this.used + chunk.byteLength <= this.buf.byteLength) {
      this.buf.set(chunk, this.used);
      this.used += chunk.byteLength;
      return;
    }
    await this.flush();
    if (chunk.byteLength >= this.buf.byteLength) {
      await this.sink.write(chunk);
    } else {
      this.buf.set(chunk, 0);
      this.used = chunk.byteLength;
    }
  }

  async zeros(n: number): Promise<void> {
    while (n > 0) {
      const k = Math.min(n, 4096);
      await this.write(ZEROS.subarray(0, k));
      n -= k;
    }
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    await this.sink.write(this.buf.subarray(0, this.used));
    this.used = 0;
  }
}

const ZEROS = new Uint8Array(4096);
