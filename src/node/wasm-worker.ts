import { parentPort } from "node:worker_threads";
import type { ToWorker } from "../compute/wasm/control.js";
import { runKernelWorker } from "../compute/wasm/worker-loop.js";

// Entry of a kernel worker thread (see src/node/wasm-platform.ts).
const port = parentPort!;
runKernelWorker({
  postMessage: (m) => port.postMessage(m),
  onMessage: (l) => void port.on("message", (m: ToWorker) => l(m)),
});
