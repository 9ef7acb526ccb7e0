import { alignUp } from "./arena.js";
import { ARGS_F64, BELL, DONE, ERR, FN, MAIL, MAX_ARGS, MEM, NARGS, PARKED, SEQ, SLOT_BYTES, SLOT_I32, type FromWorker, type ToWorker } from "./control.js";
import { POOL_FUNCTIONS, type PoolFunction } from "./kernel-abi.js";
import type { MemorySlot } from "./memory-slot.js";
import type { WorkerHandle, WorkerPort } from "./ports.js";

/** args[at] and args[at + 1] receive each thread's [lo, hi) share of `total` (multiples of `align`). */
export interface Split {
  readonly at: number;
  readonly total: number;
  readonly align: number;
}

/** args[at] = base + thread · stride (per-thread scratch). */
export interface PerThread {
  readonly at: number;
  readonly base: number;
  readonly stride: number;
}

const FN_INDEX = new Map<PoolFunction, number>(POOL_FUNCTIONS.map((n, i) => [n, i]));

/**
 * Splits kernel calls over the calling thread and `workers` worker threads sharing the memories.
 * Synchronous: `run` returns when every share is done (the caller spins, which browsers allow on
 * the main thread, unlike Atomics.wait).
 */
export class ThreadPool {
  private readonly ctrl: Int32Array;
  private readonly args: Float64Array;
  private readonly seqs: number[];
  private readonly ready: ((e?: Error) => void)[][];
  private readonly errors: string[] = [];

  private constructor(private readonly workers: readonly WorkerHandle[], readonly control: SharedArrayBuffer) {
    this.ctrl = new Int32Array(control);
    this.args = new Float64Array(control);
    this.seqs = workers.map(() => 0);
    this.ready = workers.map(() => []);
    workers.forEach((w, i) => {
      w.onMessage((raw) => {
        const m = raw as FromWorker;
        if (m.kind === "ready") this.ready[i].shift()?.();
        else this.errors.push(m.message);
      });
      w.onError((e) => {
        const err = e instanceof Error ? e : new Error(String(e));
        this.errors.push(err.message);
        for (const r of this.ready[i].splice(0)) r(err);
      });
    });
  }

  /** A pool of `threads` (>= 1) including the calling thread; threads - 1 workers are spawned. */
  static async start(port: WorkerPort | undefined, module: WebAssembly.Module, memories: readonly WebAssembly.Memory[], threads: number, spinMs = 2): Promise<ThreadPool> {
    const n = port ? Math.max(0, threads - 1) : 0;
    const control = new SharedArrayBuffer(Math.max(1, n) * SLOT_BYTES);
    const workers: WorkerHandle[] = [];
    try {
      for (let i = 0; i < n; i++) workers.push(port!.spawn());
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    const pool = new ThreadPool(workers, control);
    await Promise.all(workers.map((_, i) => pool.send(i, { kind: "init", module, memories, control, slot: i, spinMs })));
    return pool;
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  /** Makes a new memory known to every worker (they instantiate the kernels on it). */
  async addMemory(memory: WebAssembly.Memory): Promise<void> {
    await Promise.all(this.workers.map((_, i) => this.send(i, { kind: "memory", memory })));
  }

  private send(i: number, message: ToWorker): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.ready[i].push((e) => (e ? reject(e) : resolve()));
      this.workers[i].postMessage(message);
      const b = i * SLOT_I32;
      Atomics.add(this.ctrl, b + MAIL, 1);
      Atomics.add(this.ctrl, b + BELL, 1);
      Atomics.notify(this.ctrl, b + BELL);
    });
  }

  /**
   * Calls kernel `fn` on `slot` with `args`, the range split.at..split.at+1 divided among the threads
   * (the calling thread takes the first share). `maxThreads` caps the threads used (small work).
   */
  run(slot: MemorySlot, fn: PoolFunction, args: number[], split: Split, perThread?: PerThread, maxThreads = Infinity): void {
    const kernel = slot.kernels[fn] as (...a: number[]) => void;
    const threads = Math.max(1, Math.min(this.threads, maxThreads, Math.ceil(split.total / split.align)));
    const share = alignUp(Math.ceil(split.total / threads), split.align);
    const fnIndex = FN_INDEX.get(fn)!;
    if (args.length > MAX_ARGS) throw new Error(`pool: ${fn} has ${args.length} > ${MAX_ARGS} arguments`);
    let used = 0;
    for (let t = 1; t < threads; t++) {
      const lo = t * share;
      const hi = Math.min(split.total, lo + share);
      if (lo >= hi) break;
      const w = t - 1;
      const b = w * SLOT_I32;
      const a = (b >> 1) + ARGS_F64;
      for (let i = 0; i < args.length; i++) this.args[a + i] = args[i];
      this.args[a + split.at] = lo;
      this.args[a + split.at + 1] = hi;
      if (perThread) this.args[a + perThread.at] = perThread.base + t * perThread.stride;
      this.ctrl[b + FN] = fnIndex;
      this.ctrl[b + MEM] = slot.index;
      this.ctrl[b + NARGS] = args.length;
      const seq = ++this.seqs[w];
      Atomics.store(this.ctrl, b + SEQ, seq);
      Atomics.add(this.ctrl, b + BELL, 1);
      if (Atomics.load(this.ctrl, b + PARKED)) Atomics.notify(this.ctrl, b + BELL);
      used = t;
    }
    const mine = args.slice();
    mine[split.at] = 0;
    mine[split.at + 1] = Math.min(split.total, share);
    if (perThread) mine[perThread.at] = perThread.base;
    let failure: unknown;
    try {
      kernel(...mine);
    } catch (e) {
      failure = e;
    }
    for (let w = 0; w < used; w++) {
      const b = w * SLOT_I32;
      const seq = this.seqs[w];
      while (Atomics.load(this.ctrl, b + DONE) !== seq) { /* spin: shares are short */ }
      if (Atomics.load(this.ctrl, b + ERR)) {
        Atomics.store(this.ctrl, b + ERR, 0);
        failure ??= new Error(`wasm kernel ${fn} failed in worker ${w + 1}${this.errors.length ? `: ${this.errors.join("; ")}` : ""}`);
      }
    }
    if (failure) throw failure;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
