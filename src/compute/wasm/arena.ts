/**
 * First-fit allocator over one WebAssembly memory's address range [base, cap). The memory grows when
 * a block ends past its current size; blocks never move (weights and worker views stay valid).
 */
export class Arena {
  private readonly free: { start: number; end: number }[];
  private readonly blocks = new Map<number, number>();
  private inUse = 0;

  constructor(private readonly memory: WebAssembly.Memory, base: number, readonly cap: number) {
    this.free = [{ start: base, end: cap }];
  }

  get bytesInUse(): number {
    return this.inUse;
  }

  /** Whether `bytes` fit while leaving `keep` bytes of the largest free block untouched. */
  fits(bytes: number, keep = 0, align = 64): boolean {
    return this.free.some((f) => alignUp(f.start, align) + bytes + keep <= f.end);
  }

  alloc(bytes: number, align = 64): number | undefined {
    bytes = Math.max(align, alignUp(bytes, align));
    for (let i = 0; i < this.free.length; i++) {
      const f = this.free[i];
      const start = alignUp(f.start, align);
      if (start + bytes > f.end) continue;
      if (!this.ensure(start + bytes)) return undefined;
      const pieces = [];
      if (start > f.start) pieces.push({ start: f.start, end: start });
      if (start + bytes < f.end) pieces.push({ start: start + bytes, end: f.end });
      this.free.splice(i, 1, ...pieces);
      this.blocks.set(start, bytes);
      this.inUse += bytes;
      return start;
    }
    return undefined;
  }

  release(ptr: number): void {
    const bytes = this.blocks.get(ptr);
    if (bytes === undefined) throw new Error(`arena: ${ptr} was not allocated`);
    this.blocks.delete(ptr);
    this.inUse -= bytes;
    let start = ptr, end = ptr + bytes;
    // coalesce with neighbours, keep the list sorted by address
    let i = this.free.findIndex((f) => f.start >= end);
    if (i < 0) i = this.free.length;
    if (i < this.free.length && this.free[i].start === end) { end = this.free[i].end; this.free.splice(i, 1); }
    if (i > 0 && this.free[i - 1].end === start) { start = this.free[i - 1].start; this.free.splice(i - 1, 1); i--; }
    this.free.splice(i, 0, { start, end });
  }

  private ensure(end: number): boolean {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return true;
    if (end > this.cap) return false;
    const PAGE = 65536;
    // a little slack so a run of small allocations does not grow page by page
    const want = Math.min(this.cap, alignUp(end, PAGE) + 16 * PAGE);
    this.memory.grow((want - have) / PAGE);
    return true;
  }
}

export function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}
