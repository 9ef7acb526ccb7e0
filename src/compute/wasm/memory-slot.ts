import { Arena, alignUp } from "./arena.js";
import type { KernelExports } from "./kernel-abi.js";

export const PAGE = 65536;
/** The most one wasm32 memory can hold. */
export const MAX_MEMORY_BYTES = 65536 * PAGE;

/**
 * One shared WebAssembly.Memory with its allocator, the calling thread's kernel instance on it, and a
 * growable scratch area for activations. Models larger than one memory use several slots.
 */
export class MemorySlot {
  readonly memory: WebAssembly.Memory;
  readonly arena: Arena;
  readonly kernels: KernelExports;
  private readonly seen = new WeakSet<object>();
  private buf: ArrayBuffer | SharedArrayBuffer | undefined;
  private f32View = new Float32Array(0);
  private u8View = new Uint8Array(0);
  private scratchPtr = 0;
  private scratchSize = 0;

  private constructor(memory: WebAssembly.Memory, kernels: KernelExports, readonly index: number, readonly cap: number) {
    this.memory = memory;
    this.kernels = kernels;
    this.arena = new Arena(memory, alignUp(kernels.heap_base(), 64), cap);
  }

  /** A new memory of at most `cap` bytes with the kernels instantiated on it (asynchronously:
   * browsers refuse synchronous instantiation of larger modules on their main thread). */
  static async create(module: WebAssembly.Module, index: number, cap: number): Promise<MemorySlot> {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: cap / PAGE, shared: true });
    const instance = await WebAssembly.instantiate(module, imports(memory));
    return new MemorySlot(memory, instance.exports as unknown as KernelExports, index, cap);
  }

  /** The memory's current buffer (recorded, so views taken on it are recognised later). */
  get buffer(): ArrayBuffer | SharedArrayBuffer {
    const b = this.memory.buffer;
    if (b !== this.buf) {
      this.buf = b;
      this.seen.add(b);
      this.f32View = new Float32Array(b);
      this.u8View = new Uint8Array(b);
    }
    return b;
  }

  get f32(): Float32Array {
    void this.buffer;
    return this.f32View;
  }

  get u8(): Uint8Array {
    void this.buffer;
    return this.u8View;
  }

  /** Byte offset of `a` in this memory if it is a view on it (no copy needed), else undefined. */
  offsetOf(a: ArrayBufferView): number | undefined {
    void this.buffer;
    return this.seen.has(a.buffer) ? a.byteOffset : undefined;
  }

  /** A scratch area of at least `bytes`, valid until the next call; undefined if the memory is full. */
  scratch(bytes: number): number | undefined {
    if (bytes <= this.scratchSize) return this.scratchPtr;
    if (this.scratchSize) this.arena.release(this.scratchPtr);
    this.scratchSize = 0;
    // some headroom so a slowly growing request does not reallocate every time
    for (const size of [alignUp(Math.max(bytes * 1.25, 1 << 20), PAGE), alignUp(bytes, 64)]) {
      const p = this.arena.alloc(size);
      if (p !== undefined) {
        this.scratchPtr = p;
        this.scratchSize = size;
        return p;
      }
    }
    return undefined;
  }
}

function imports(memory: WebAssembly.Memory): WebAssembly.Imports {
  return {
    env: {
      memory,
      abort(): never {
        throw new Error("wasm kernel abort");
      },
    },
  };
}

/** Synchronous instantiation, for worker threads (allowed there at any module size). */
export function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): KernelExports {
  return new WebAssembly.Instance(module, imports(memory)).exports as unknown as KernelExports;
}
