import { alignUp } from "./arena.js";
import {
  ARGS_F64, BELL, CHUNK, CHUNK_BITS, COMPLETED, ERR, FN, JOB, JOB_BYTES, JOB_ID_MASK, MAIL, MAX_ARGS, MAX_CHUNKS, MEM,
  NARGS, NCHUNKS, PARKED, PER_THREAD_AT, PER_THREAD_BASE_F64, PER_THREAD_STRIDE_F64, SEQ, SLOT_BYTES, SPLIT_AT, TOTAL,
  slotBase, type FromWorker, type ToWorker,
} from "./control.js";
import { runChunks } from "./chunks.js";
import { POOL_FUNCTIONS, type PoolFunction } from "./kernel-abi.js";
import type { MemorySlot } from "./memory-slot.js";
import type { WorkerHandle, WorkerPort } from "./ports.js";

/** args[at] and args[at + 1] receive each chunk's [lo, hi) of 0..total (multiples of `align`). */
export interface Split {
  readonly at: number;
  readonly total: number;
  readonly align: number;
}

/** args[at] = base + thread · stride (per-thread scratch; the calling thread is thread 0). */
export interface PerThread {
  readonly at: number;
  readonly base: number;
  readonly stride: number;
}

type Kernel = (...args: number[]) => unknown;

/** Chunks per thread: enough to even out threads the OS runs late, few enough to keep calls cheap. */
const CHUNKS_PER_THREAD = 4;

/**
 * Runs kernel calls split into chunks over the calling thread and `threads - 1` workers sharing the
 * memories (control.ts). Synchronous: `run` returns when every chunk is done; the caller spins,
 * which browsers allow on the main thread, unlike Atomics.wait.
 */
export class ThreadPool {
  private readonly ctrl: Int32Array<SharedArrayBuffer>;
  private readonly f64: Float64Array<SharedArrayBuffer>;
  private readonly ready: ((e?: Error) => void)[][];
  private readonly errors: string[] = [];
  private readonly kernels: Kernel[][] = [];
  private jobs = 0;

  private constructor(private readonly workers: readonly WorkerHandle[], control: SharedArrayBuffer) {
    this.ctrl = new Int32Array(control);
    this.f64 = new Float64Array(control);
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
    const control = new SharedArrayBuffer(JOB_BYTES + n * SLOT_BYTES);
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
      const b = slotBase(i);
      Atomics.add(this.ctrl, b + MAIL, 1);
      Atomics.add(this.ctrl, b + BELL, 1);
      Atomics.notify(this.ctrl, b + BELL);
    });
  }

  /**
   * Calls kernel `fn` of `slot` with `args`, the range args[split.at], args[split.at + 1] divided
   * into chunks that the threads claim. `maxThreads` caps the threads woken (small work).
   */
  run(slot: MemorySlot, fn: PoolFunction, args: number[], split: Split, perThread?: PerThread, maxThreads = Infinity): void {
    const units = Math.ceil(split.total / split.align);
    const threads = Math.max(1, Math.min(this.threads, maxThreads, units));
    if (threads === 1) {
      const a = args.slice();
      a[split.at] = 0;
      a[split.at + 1] = split.total;
      if (perThread) a[perThread.at] = perThread.base;
      (slot.kernels[fn] as Kernel)(...a);
      return;
    }
    if (args.length > MAX_ARGS) throw new Error(`pool: ${fn} has ${args.length} > ${MAX_ARGS} arguments`);
    const nChunks = Math.min(MAX_CHUNKS, units, threads * CHUNKS_PER_THREAD);
    const chunk = alignUp(Math.ceil(split.total / nChunks), split.align);
    const ctrl = this.ctrl;
    ctrl[FN] = POOL_FUNCTIONS.indexOf(fn);
    ctrl[MEM] = slot.index;
    ctrl[NARGS] = args.length;
    ctrl[CHUNK] = chunk;
    ctrl[TOTAL] = split.total;
    ctrl[SPLIT_AT] = split.at;
    ctrl[NCHUNKS] = Math.ceil(split.total / chunk);
    ctrl[PER_THREAD_AT] = perThread ? perThread.at : -1;
    if (perThread) {
      this.f64[PER_THREAD_BASE_F64] = perThread.base;
      this.f64[PER_THREAD_STRIDE_F64] = perThread.stride;
    }
    for (let i = 0; i < args.length; i++) this.f64[ARGS_F64 + i] = args[i];
    this.jobs = (this.jobs + 1) & JOB_ID_MASK || 1;
    const id = this.jobs;
    Atomics.store(ctrl, COMPLETED, 0);
    Atomics.store(ctrl, JOB, id << CHUNK_BITS);
    for (let w = 0; w < threads - 1; w++) {
      const b = slotBase(w);
      Atomics.store(ctrl, b + SEQ, id);
      Atomics.add(ctrl, b + BELL, 1);
      if (Atomics.load(ctrl, b + PARKED)) Atomics.notify(ctrl, b + BELL);
    }
    if (!this.kernels[slot.index]) this.kernels[slot.index] = POOL_FUNCTIONS.map((n) => slot.kernels[n] as Kernel);
    let failure = runChunks(ctrl, this.f64, this.kernels, id, 0);
    const n = ctrl[NCHUNKS];
    while (Atomics.load(ctrl, COMPLETED) !== n) { /* spin: other threads are finishing their chunks */ }
    // Close the job before the next one's parameters are written: a worker that wakes late for this
    // job may read those half-written parameters together with a JOB word that still names this job,
    // and its claim would succeed if JOB still read "chunk n of job id" while the next job has more
    // chunks (it ran a kernel on mixed arguments: out-of-bounds traps, and an extra COMPLETED count
    // that left the next job's wait spinning forever). A chunk index of MAX_CHUNKS is >= any job's count.
    Atomics.store(ctrl, JOB, (id << CHUNK_BITS) | MAX_CHUNKS);
    if (Atomics.load(ctrl, ERR)) {
      Atomics.store(ctrl, ERR, 0);
      failure ??= new Error(`wasm kernel ${fn} failed in a worker thread${this.errors.length ? `: ${this.errors.join("; ")}` : ""}`);
    }
    if (failure) throw failure;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
