import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { setFlagsFromString } from "node:v8";
import { Worker } from "node:worker_threads";
import type { KernelBinary, WasmPlatform, WorkerHandle, WorkerPort } from "../compute/wasm/ports.js";

// Relaxed SIMD is behind a flag in Node 20; it must be set before anything is compiled.
setFlagsFromString("--experimental-wasm-relaxed-simd");

const KERNELS = new URL("../../dist/kernels/", import.meta.url);

const compiled = new Map<string, Promise<WebAssembly.Module>>();

/**
 * Compiles a kernel file with TurboFan directly: long kernels would otherwise start in the baseline
 * tier (up to 3x slower until tier-up). The flag is process-wide, so it is restored right after the
 * (synchronous) compile; modules are compiled once per process.
 */
function compileOptimized(name: string): Promise<KernelBinary> {
  let m = compiled.get(name);
  if (!m) {
    m = readFile(new URL(name, KERNELS)).then((bytes) => {
      setFlagsFromString("--no-liftoff");
      try {
        return new WebAssembly.Module(bytes);
      } finally {
        setFlagsFromString("--liftoff");
      }
    });
    m.catch(() => compiled.delete(name));
    compiled.set(name, m);
  }
  return m;
}

/**
 * The worker's entry. Built: wasm-worker.js beside this file. From source (tsx), workers do not get
 * tsx's loader, so a tiny data: module registers it before importing wasm-worker.ts.
 */
function workerEntry(): URL {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) return new URL("./wasm-worker.js", here);
  const api = import.meta.resolve("tsx/esm/api");
  const target = new URL("./wasm-worker.ts", here).href;
  const boot = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(target)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}

/** Web-worker-like handles over worker_threads running src/node/wasm-worker. */
export function nodeWorkerPort(): WorkerPort {
  const entry = workerEntry();
  return {
    spawn(): WorkerHandle {
      const w = new Worker(entry);
      w.unref(); // parked workers must not keep the process alive
      return {
        postMessage: (m) => w.postMessage(m),
        onMessage: (l) => void w.on("message", l),
        onError: (l) => void w.on("error", l),
        terminate: async () => void (await w.terminate()),
      };
    },
  };
}

/** The Node platform of the WebAssembly backend: kernels from dist/kernels, worker_threads. */
export function nodeWasmPlatform(): WasmPlatform {
  return {
    kernels: { simd: () => compileOptimized("kernels.wasm"), relaxed: () => compileOptimized("kernels-relaxed.wasm") },
    workerPort: nodeWorkerPort(),
    defaultThreads: Math.max(1, availableParallelism()),
  };
}
