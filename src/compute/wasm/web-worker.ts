import type { ToWorker } from "./control.js";
import { runKernelWorker } from "./worker-loop.js";

// Entry of a kernel worker in a browser (see web-port.ts).
const scope = globalThis as unknown as {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (e: MessageEvent<ToWorker>) => void): void;
};
runKernelWorker({
  postMessage: (m) => scope.postMessage(m),
  onMessage: (l) => scope.addEventListener("message", (e) => l(e.data)),
});
