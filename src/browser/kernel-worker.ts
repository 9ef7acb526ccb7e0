/// <reference lib="webworker" />
import type { ToWorker } from "../compute/wasm/control.js";
import { runKernelWorker } from "../compute/wasm/worker-loop.js";

// Entry of a kernel worker in the browser (bundled to kernel-worker.js; spawned by wasm-platform.ts).
const scope = self as unknown as DedicatedWorkerGlobalScope;
runKernelWorker({
  postMessage: (m) => scope.postMessage(m),
  onMessage: (l) => scope.addEventListener("message", (e: MessageEvent<ToWorker>) => l(e.data)),
});
