import { UserError } from "../../errors.js";
import type { KvCache } from "./language-model.js";

/**
 * Where cache rows live: by default ordinary arrays; a backend with its own memory (WebAssembly) hands
 * out arrays there, so attention reads keys and values in place instead of copying them every step.
 */
export interface F32Allocator {
  alloc(length: number): Float32Array;
  free(a: Float32Array): void;
}

const HEAP: F32Allocator = { alloc: (n) => new Float32Array(n), free: () => {} };

/** One layer's keys, values and positions, rows in the order they were appended. */
class LayerRows {
  k: Float32Array = new Float32Array(0);
  v: Float32Array = new Float32Array(0);
  pos = new Int32Array(0);
  length = 0;

  constructor(readonly width: number, private readonly mem: F32Allocator) {}

  reserve(rows: number): void {
    if (rows <= this.pos.length) return;
    const cap = Math.max(rows, Math.ceil(this.pos.length * 1.5), 16);
    const k = this.mem.alloc(cap * this.width);
    const v = this.mem.alloc(cap * this.width);
    const pos = new Int32Array(cap);
    k.set(this.k.subarray(0, this.length * this.width));
    v.set(this.v.subarray(0, this.length * this.width));
    pos.set(this.pos.subarray(0, this.length));
    this.release();
    this.k = k;
    this.v = v;
    this.pos = pos;
  }

  release(): void {
    if (this.k.length) this.mem.free(this.k);
    if (this.v.length) this.mem.free(this.v);
    this.k = new Float32Array(0);
    this.v = new Float32Array(0);
  }
}

/** Frees a forgotten cache's backend memory when it is garbage-collected. */
const finalizer = new FinalizationRegistry<LayerRows[]>((layers) => {
  for (const l of layers) l.release();
});

/**
 * The f32 key/value cache of the transformer: per layer, rows of `nKVHeads·headDim` keys and values
 * with their positions. Layers grow independently (hooks may drop rows between layers).
 */
export class LayerKvCache implements KvCache {
  private readonly layers: LayerRows[];
  nextPosition = 0;

  constructor(nLayers: number, readonly width: number, readonly maxRows: number, mem: F32Allocator = HEAP) {
    this.layers = Array.from({ length: nLayers }, () => new LayerRows(width, mem));
    if (mem !== HEAP) finalizer.register(this, this.layers, this);
  }

  /** Gives the rows' memory back now (the cache is empty afterwards). */
  dispose(): void {
    finalizer.unregister(this);
    for (const l of this.layers) { l.release(); l.pos = new Int32Array(0); l.length = 0; }
    this.nextPosition = 0;
  }

  get nLayers(): number {
    return this.layers.length;
  }

  length(layer: number): number {
    return this.layer(layer).length;
  }

  positions(layer: number): Int32Array {
    const l = this.layer(layer);
    return l.pos.subarray(0, l.length);
  }

  /** Keys and values of layer `l` (views over its rows). */
  keys(layer: number): Float32Array {
    const l = this.layer(layer);
    return l.k.subarray(0, l.length * this.width);
  }

  values(layer: number): Float32Array {
    const l = this.layer(layer);
    return l.v.subarray(0, l.length * this.width);
  }

  /**
   * Makes room for `n` more rows in layer `l` at `positions` and returns views where their keys and
   * values are to be written.
   */
  append(layer: number, n: number, positions: Int32Array): { k: Float32Array; v: Float32Array } {
    const l = this.layer(layer);
    const start = l.length;
    if (start + n > this.maxRows) {
      throw new UserError("too_large", `the key/value cache holds at most ${this.maxRows} rows per layer; ${start} are used and ${n} more were fed`);
    }
    l.reserve(start + n);
    l.pos.set(positions.subarray(0, n), start);
    l.length = start + n;
    const w = this.width;
    return { k: l.k.subarray(start * w, (start + n) * w), v: l.v.subarray(start * w, (start + n) * w) };
  }

  truncate(position: number): void {
    if (!Number.isInteger(position) || position < 0) throw new UserError("bad_argument", `cannot truncate the cache at position ${position}`);
    for (const l of this.layers) {
      let keep = 0;
      while (keep < l.length && l.pos[keep] < position) keep++;
      // rows are appended in position order per call; compact anything later that is still below
      let w = keep;
      for (let r = keep; r < l.length; r++) {
        if (l.pos[r] >= position) continue;
        l.pos[w] = l.pos[r];
        l.k.copyWithin(w * this.width, r * this.width, (r + 1) * this.width);
        l.v.copyWithin(w * this.width, r * this.width, (r + 1) * this.width);
        w++;
      }
      l.length = w;
    }
    this.nextPosition = Math.min(this.nextPosition, position);
  }

  clear(): void {
    for (const l of this.layers) l.length = 0;
    this.nextPosition = 0;
  }

  private layer(layer: number): LayerRows {
    const l = this.layers[layer];
    if (!l) throw new RangeError(`layer ${layer} out of range [0, ${this.layers.length})`);
    return l;
  }
}
