import { UserError } from "../../errors.js";
import { dequantize } from "../../formats/gguf/dequantize.js";
import { ggmlRowBytes, ggmlTypeName, type GGMLType } from "../../formats/gguf/ggml-types.js";
import { attentionJs } from "../attention-js.js";
import type { AttentionArgs, Backend, WeightMatrix, WeightOptions } from "../backend.js";
import { siluMulInPlace } from "../elementwise.js";
import { alignUp } from "./arena.js";
import { attentionWasm } from "./attention-wasm.js";
import { MANY_ROWS_KINDS, MATMUL_KINDS, REPACK_Q4_K } from "./kernel-abi.js";
import { matmulWasm } from "./matmul.js";
import { canFuseSwiglu, swigluWasm } from "./swiglu.js";
import { MAX_MEMORY_BYTES, MemorySlot, PAGE } from "./memory-slot.js";
import { compileKernels, defaultPlatform } from "./platform.js";
import { ThreadPool } from "./pool.js";
import type { KernelBinaries, WorkerPort } from "./ports.js";
import { relaxedSimdSupported } from "./relaxed-simd.js";
import { readRow } from "./repack.js";
import type { WasmWeight } from "./weight.js";

/** Below this many elements siluMul runs on the calling thread only. */
const SILU_PARALLEL_MIN = 1 << 16;

export interface WasmBackendOptions {
  /** Threads including the calling one (default: the platform's core count). 1 = no workers. */
  readonly threads?: number;
  /** Starts worker threads; defaults to the platform's (Node: worker_threads). */
  readonly workerPort?: WorkerPort;
  /** The compiled kernels; defaults to the platform's (Node: dist/kernels/*.wasm). */
  readonly kernels?: KernelBinaries;
  /** Use the relaxed-SIMD build when the engine supports it (default true). */
  readonly relaxedSimd?: boolean;
  /** Bytes per WebAssembly memory, a multiple of 64 KiB up to 4 GiB (default 4 GiB; small for tests). */
  readonly memoryBytes?: number;
  /** Bytes of each memory weights leave free for activations (default min(256 MiB, memoryBytes / 8)). */
  readonly reserveBytes?: number;
  /** Milliseconds a worker spins after a call before parking (default 2). */
  readonly spinMs?: number;
}

/**
 * The WebAssembly SIMD backend: weights copied once into shared WebAssembly memories (as many 4 GiB
 * memories as the model needs), integer-dot kernels for the quantized types, rows split over a pool
 * of worker threads that share the memories.
 */
export class WasmBackend implements Backend {
  readonly name = "wasm";
  private placing: Promise<unknown> = Promise.resolve();
  private disposed = false;

  /** Use createWasmBackend. */
  constructor(
    private readonly module: WebAssembly.Module,
    private readonly pool: ThreadPool,
    private readonly slots: MemorySlot[],
    /** Whether the relaxed-SIMD build of the kernels runs. */
    readonly relaxedSimd: boolean,
    private readonly memoryBytes: number,
    private readonly reserveBytes: number,
  ) {}

  get threads(): number {
    return this.pool.threads;
  }

  /** Number of WebAssembly memories in use (more than one for models over one memory's size). */
  get memories(): number {
    return this.slots.length;
  }

  async createWeight(type: GGMLType, rows: number, cols: number, fill: (dst: Uint8Array) => Promise<void> | void, opts?: WeightOptions): Promise<WeightMatrix> {
    const kind = MATMUL_KINDS[type];
    if (!kind) throw new UserError("unsupported", `the wasm backend has no kernels for tensor type ${ggmlTypeName(type)}`);
    if (!(Number.isInteger(rows) && rows > 0 && Number.isInteger(cols) && cols > 0)) {
      throw new RangeError(`createWeight: bad shape ${rows}x${cols}`);
    }
    const rowBytes = ggmlRowBytes(type, cols);
    const bytes = rowBytes * rows;
    // kernels may read a few bytes past the last row
    const place = this.placing.then(() => this.place(bytes + 64, type));
    this.placing = place.catch(() => undefined);
    const { slot, ptr } = await place;
    try {
      await fill(new Uint8Array(slot.buffer, ptr, bytes));
    } catch (e) {
      slot.arena.release(ptr);
      throw e;
    }
    if (kind.repack !== undefined) {
      // Q4_K interleaves groups of 4 rows (assembly/kernels/mm-q4k.ts)
      const tmpBytes = kind.repack === REPACK_Q4_K ? 4 * rowBytes : rowBytes;
      const tmp = slot.scratch(tmpBytes);
      if (tmp === undefined) throw new Error(`createWeight: no scratch for ${tmpBytes} bytes of rows`);
      if (kind.repack === REPACK_Q4_K) slot.kernels.repack_q4_k(ptr, rows, cols / 256, tmp);
      else slot.kernels.repack_rows(kind.repack, ptr, rows, cols / 32, tmp);
    }
    const manyRows = opts?.manyRows ? MANY_ROWS_KINDS[opts.manyRows][type] : undefined;
    const w: WasmWeight = { type, rows, cols, kind, ...(manyRows ? { manyRows } : {}), slot: slot.index, ptr, rowBytes, owner: this };
    return w;
  }

  matmul(w: WeightMatrix, x: Float32Array, n: number, bias?: Float32Array, out?: Float32Array): Float32Array {
    const ww = this.own(w);
    return matmulWasm(this.pool, this.slots[ww.slot], ww, x, n, bias, out);
  }

  /** gelu_tanh(x · Wᵀ + bias), the bias and GELU applied in the backend's memory on every thread. */
  matmulGelu(w: WeightMatrix, x: Float32Array, n: number, bias?: Float32Array, out?: Float32Array): Float32Array {
    const ww = this.own(w);
    return matmulWasm(this.pool, this.slots[ww.slot], ww, x, n, bias, out, true);
  }

  /** The SwiGLU block in the backend's memory (swiglu.ts), or as three products when the weights live in different memories. */
  swiglu(gate: WeightMatrix, up: WeightMatrix, down: WeightMatrix, x: Float32Array, n: number, out?: Float32Array): Float32Array {
    const g = this.own(gate), u = this.own(up), d = this.own(down);
    if (canFuseSwiglu(g, u, d)) return swigluWasm(this.pool, this.slots[g.slot], g, u, d, x, n, out);
    const h = this.siluMul(this.matmul(g, x, n), this.matmul(u, x, n));
    return this.matmul(d, h, n, undefined, out);
  }

  siluMul(gate: Float32Array, up: Float32Array): Float32Array {
    this.alive();
    const n = gate.length;
    if (up.length < n) throw new RangeError(`siluMul: up holds ${up.length} < ${n} values`);
    const slot = this.slots[0];
    const base = n > 0 ? slot.scratch(alignUp(n * 4, 64) * 2) : undefined;
    if (base === undefined) return siluMulInPlace(gate, up);
    const u = base + alignUp(n * 4, 64);
    slot.f32.set(gate, base >>> 2);
    slot.f32.set(up.subarray(0, n), u >>> 2);
    this.pool.run(slot, "silu_mul", [base, u, 0, 0], { at: 2, total: n, align: 256 }, undefined, n < SILU_PARALLEL_MIN ? 1 : Infinity);
    gate.set(slot.f32.subarray(base >>> 2, (base >>> 2) + n));
    return gate;
  }

  getRows(w: WeightMatrix, ids: ArrayLike<number>, out?: Float32Array): Float32Array {
    const { type, rows, cols, kind, slot, ptr, rowBytes } = this.own(w);
    const y = out ?? new Float32Array(ids.length * cols);
    const u8 = this.slots[slot].u8;
    const tmp = kind.repack !== undefined ? new Uint8Array(rowBytes) : undefined;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!(Number.isInteger(id) && id >= 0 && id < rows)) throw new RangeError(`row ${id} out of range [0, ${rows})`);
      const bytes = tmp ? readRow(kind.repack!, u8, ptr, rows, rowBytes, cols / 32, id, tmp) : u8.subarray(ptr + id * rowBytes, ptr + (id + 1) * rowBytes);
      dequantize(type, bytes, cols, y.subarray(i * cols, (i + 1) * cols) as Float32Array<ArrayBuffer>);
    }
    return y;
  }

  /**
   * A zeroed Float32Array inside the backend's first memory: attention reads such arrays in place
   * (a key/value cache kept here is not copied on every call). Plain memory if that one is full.
   * Give it back with freeF32 when done.
   */
  allocF32(length: number): Float32Array {
    this.alive();
    const slot = this.slots[0];
    const bytes = Math.max(4, length * 4);
    // leave room for the activations of later calls, as weights do
    const ptr = slot.arena.fits(bytes, this.reserveBytes) ? slot.arena.alloc(bytes) : undefined;
    if (ptr === undefined) return new Float32Array(length);
    const a = new Float32Array(slot.buffer, ptr, length);
    a.fill(0); // blocks can be reused
    return a;
  }

  /** Returns an array from allocF32 (others are ignored). */
  freeF32(a: Float32Array): void {
    if (this.disposed) return;
    const slot = this.slots[0];
    if (slot.offsetOf(a) !== undefined) slot.arena.release(a.byteOffset);
  }

  attention(args: AttentionArgs): Float32Array {
    this.alive();
    return attentionWasm(this.pool, this.slots[0], args) ?? attentionJs(args);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.slots.length = 0;
    await this.pool.dispose();
  }

  private own(w: WeightMatrix): WasmWeight {
    this.alive();
    const ww = w as WasmWeight;
    if (ww.owner !== this) throw new Error("weight was not created by this wasm backend");
    return ww;
  }

  private alive(): void {
    if (this.disposed) throw new Error("wasm backend used after dispose()");
  }

  /** A memory with room for `bytes` (a new one if none has), and the block in it. */
  private async place(bytes: number, type: GGMLType): Promise<{ slot: MemorySlot; ptr: number }> {
    this.alive();
    for (const slot of this.slots) {
      if (slot.arena.fits(bytes, this.reserveBytes)) return { slot, ptr: slot.arena.alloc(bytes)! };
    }
    const slot = await MemorySlot.create(this.module, this.slots.length, this.memoryBytes);
    if (!slot.arena.fits(bytes, this.reserveBytes)) {
      throw new UserError("too_large", `a ${ggmlTypeName(type)} tensor of ${bytes} bytes does not fit in one WebAssembly memory (${this.memoryBytes} bytes)`);
    }
    await this.pool.addMemory(slot.memory);
    this.slots.push(slot);
    return { slot, ptr: slot.arena.alloc(bytes)! };
  }
}

/** Creates the WebAssembly backend (kernels compiled, workers started, first memory allocated). */
export async function createWasmBackend(opts: WasmBackendOptions = {}): Promise<WasmBackend> {
  let kernels = opts.kernels;
  let port = opts.workerPort;
  let defaultThreads = 1;
  if (!kernels || (!port && (opts.threads ?? 2) > 1)) {
    const platform = await defaultPlatform();
    kernels ??= platform.kernels;
    port ??= platform.workerPort;
    defaultThreads = platform.defaultThreads;
  }
  const threads = opts.threads ?? defaultThreads;
  if (!(Number.isInteger(threads) && threads >= 1)) throw new UserError("bad_argument", `threads ${threads} should be a positive integer`);
  if (threads > 1 && !port) throw new UserError("bad_argument", `threads ${threads} needs a workerPort`);
  const memoryBytes = opts.memoryBytes ?? MAX_MEMORY_BYTES;
  if (!(memoryBytes >= 4 * PAGE && memoryBytes <= MAX_MEMORY_BYTES && memoryBytes % PAGE === 0)) {
    throw new UserError("bad_argument", `memoryBytes ${memoryBytes} should be a multiple of 64 KiB between 256 KiB and 4 GiB`);
  }
  const reserveBytes = opts.reserveBytes ?? Math.min(256 << 20, memoryBytes / 8);
  const relaxed = (opts.relaxedSimd ?? true) && kernels.relaxed !== undefined && relaxedSimdSupported();
  const module = await compileKernels(relaxed ? kernels.relaxed! : kernels.simd);
  const first = await MemorySlot.create(module, 0, memoryBytes);
  const pool = await ThreadPool.start(threads > 1 ? port : undefined, module, [first.memory], threads, opts.spinMs ?? 2);
  return new WasmBackend(module, pool, [first], relaxed, memoryBytes, reserveBytes);
}
