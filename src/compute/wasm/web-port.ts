import type { WorkerHandle, WorkerPort } from "./ports.js";

/**
 * Web Workers running web-worker.ts. Shared WebAssembly memory needs a cross-origin isolated page
 * (COOP: same-origin, COEP: require-corp). Bundlers resolve the default URL; pass another to host
 * the worker script elsewhere.
 */
export function webWorkerPort(url: URL | string = new URL("./web-worker.js", import.meta.url)): WorkerPort {
  return {
    spawn(): WorkerHandle {
      const w = new Worker(url, { type: "module" });
      return {
        postMessage: (m) => w.postMessage(m),
        onMessage: (l) => w.addEventListener("message", (e) => l(e.data)),
        onError: (l) => w.addEventListener("error", (e) => l(e.error ?? new Error(e.message))),
        terminate: () => w.terminate(),
      };
    },
  };
}
