import type { KernelBinary, WasmPlatform, WorkerHandle, WorkerPort } from "../compute/wasm/ports.js";

export interface BrowserPlatformOptions {
  /** Folder holding kernels/*.wasm and kernel-worker.js (default: beside this bundle). */
  readonly baseUrl?: string | URL;
}

/** Kernel workers are Web Workers running kernel-worker.js (module workers, so nested workers work). */
export function browserWorkerPort(scriptUrl: URL): WorkerPort {
  return {
    spawn(): WorkerHandle {
      const w = new Worker(scriptUrl, { type: "module", name: "pocketvlm-kernels" });
      return {
        postMessage: (m) => w.postMessage(m),
        onMessage: (l) => w.addEventListener("message", (e: MessageEvent) => l(e.data)),
        onError: (l) => w.addEventListener("error", (e: ErrorEvent) => l(new Error(e.message || `kernel worker ${scriptUrl.href} failed to start`))),
        terminate: () => w.terminate(),
      };
    },
  };
}

/** Fetches and compiles a kernel module (streaming compilation when the server says application/wasm). */
export function fetchKernels(url: URL): () => Promise<KernelBinary> {
  return async () => {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`pocketvlm: kernels ${url.href}: HTTP ${res.status}`);
    if (res.headers.get("content-type")?.startsWith("application/wasm")) return WebAssembly.compileStreaming(res);
    return WebAssembly.compile(await res.arrayBuffer());
  };
}

/** Whether worker threads can share memory here (the page is cross-origin isolated). */
export function threadsAvailable(): boolean {
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true && typeof SharedArrayBuffer === "function";
}

/**
 * The browser platform of the WebAssembly backend: kernels fetched from `baseUrl`, Web Workers when
 * the page is cross-origin isolated, the calling thread alone otherwise.
 */
export function browserWasmPlatform(opts: BrowserPlatformOptions = {}): WasmPlatform {
  const base = new URL(opts.baseUrl ?? new URL("./", import.meta.url));
  const threads = threadsAvailable();
  return {
    kernels: { simd: fetchKernels(new URL("kernels/kernels.wasm", base)), relaxed: fetchKernels(new URL("kernels/kernels-relaxed.wasm", base)) },
    workerPort: threads ? browserWorkerPort(new URL("kernel-worker.js", base)) : undefined,
    defaultThreads: threads ? Math.max(1, navigator.hardwareConcurrency || 1) : 1,
  };
}
