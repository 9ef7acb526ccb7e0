/**
 * What the WebAssembly backend needs from its platform, injected by the caller (src/node/ for Node;
 * a browser build passes Web Workers and fetched kernel bytes). Nothing here is Node-specific.
 */

/** One worker thread as seen from the thread that created it. */
export interface WorkerHandle {
  postMessage(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  onError(listener: (error: unknown) => void): void;
  terminate(): Promise<void> | void;
}

/** Starts workers that run `runKernelWorker` (worker-loop.ts) on their side. */
export interface WorkerPort {
  spawn(): WorkerHandle;
}

/** A compiled kernel module or its bytes. */
export type KernelBinary = WebAssembly.Module | BufferSource;

export interface KernelBinaries {
  /** Built with plain SIMD128 (dist/kernels/kernels.wasm). */
  readonly simd: KernelBinary | (() => Promise<KernelBinary>);
  /** Built with relaxed SIMD (dist/kernels/kernels-relaxed.wasm); used when the engine validates it. */
  readonly relaxed?: KernelBinary | (() => Promise<KernelBinary>);
}

/** Everything the platform supplies; the Node one lives in src/node/wasm-platform.ts. */
export interface WasmPlatform {
  readonly kernels: KernelBinaries;
  /** Absent: threads are not available, everything runs on the calling thread. */
  readonly workerPort?: WorkerPort;
  /** Threads to use when the caller does not say. */
  readonly defaultThreads: number;
}
