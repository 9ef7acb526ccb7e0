/** A growable little-endian byte buffer for building file headers. */
export class ByteBuilder {
  private buf = new Uint8Array(4096);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private static readonly encoder = new TextEncoder();

  /** Makes room for n bytes and returns where they go (call before touching `view`: it may be replaced). */
  private reserve(n: number): number {
    const need = this.length + n;
    if (need > this.buf.byteLength) {
      let cap = this.buf.byteLength * 2;
      while (cap < need) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.length;
    this.length = need;
    return at;
  }

  u8(v: number): void { const at = this.reserve(1); this.view.setUint8(at, v); }
  i8(v: number): void { const at = this.reserve(1); this.view.setInt8(at, v); }
  u16(v: number): void { const at = this.reserve(2); this.view.setUint16(at, v, true); }
  i16(v: number): void { const at = this.reserve(2); this.view.setInt16(at, v, true); }
  u32(v: number): void { const at = this.reserve(4); this.view.setUint32(at, v, true); }
  i32(v: number): void { const at = this.reserve(4); this.view.setInt32(at, v, true); }
  f32(v: number): void { const at = this.reserve(4); this.view.setFloat32(at, v, true); }
  f64(v: number): void { const at = this.reserve(8); this.view.setFloat64(at, v, true); }
  u64(v: bigint | number): void { const at = this.reserve(8); this.view.setBigUint64(at, BigInt(v), true); }
  i64(v: bigint | number): void { const at = this.reserve(8); this.view.setBigInt64(at, BigInt(v), true); }

  bytes(b: Uint8Array): void {
    const at = this.reserve(b.byteLength);
    this.buf.set(b, at);
  }

  zeros(n: number): void {
    const at = this.reserve(n);
    this.buf.fill(0, at, at + n);
  }

  static utf8(s: string): Uint8Array {
    return ByteBuilder.encoder.encode(s);
  }

  /** A view of the bytes built so far (valid until the next write). */
  toUint8Array(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}
