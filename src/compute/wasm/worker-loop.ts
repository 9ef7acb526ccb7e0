import { BELL, MAIL, PARKED, SEQ, slotBase, type FromWorker, type ToWorker } from "./control.js";
import { runChunks } from "./chunks.js";
import { POOL_FUNCTIONS } from "./kernel-abi.js";
import { instantiate } from "./memory-slot.js";

/** The worker's side of its message channel (Node's parentPort or a Web Worker's global scope). */
export interface WorkerEndpoint {
  postMessage(message: FromWorker): void;
  onMessage(listener: (message: ToWorker) => void): void;
}

type Kernel = (...args: number[]) => unknown;

/**
 * Runs inside a worker: instantiates the kernels on every memory it is sent, then serves jobs from
 * the control block (control.ts), spinning between jobs and parking in Atomics.wait after `spinMs`
 * of idleness. It leaves the loop (back to the event loop) whenever a message is waiting for it.
 */
export function runKernelWorker(ep: WorkerEndpoint): void {
  let ctrl: Int32Array<ArrayBufferLike> = new Int32Array(0);
  let f64: Float64Array<ArrayBufferLike> = new Float64Array(0);
  let base = 0;
  let thread = 1;
  let module: WebAssembly.Module | undefined;
  let spinMs = 2;
  const kernels: Kernel[][] = [];
  let handled = 0;
  let running = false;
  let last = 0;

  const addMemory = (memory: WebAssembly.Memory): void => {
    const ex = instantiate(module!, memory) as unknown as Record<string, Kernel>;
    kernels.push(POOL_FUNCTIONS.map((name) => ex[name]));
  };

  const loop = (): void => {
    running = true;
    let deadline = performance.now() + spinMs;
    for (let spins = 0; ; spins++) {
      const bell = Atomics.load(ctrl, base + BELL);
      const seq = Atomics.load(ctrl, base + SEQ);
      if (seq !== last) {
        last = seq;
        const e = runChunks(ctrl, f64, kernels, seq, thread);
        if (e !== undefined) ep.postMessage({ kind: "error", message: e instanceof Error ? e.message : String(e) });
        deadline = performance.now() + spinMs;
        continue;
      }
      if (Atomics.load(ctrl, base + MAIL) !== handled) {
        running = false;
        return;
      }
      if ((spins & 255) === 0 && performance.now() > deadline) {
        Atomics.store(ctrl, base + PARKED, 1);
        Atomics.wait(ctrl, base + BELL, bell);
        Atomics.store(ctrl, base + PARKED, 0);
        deadline = performance.now() + spinMs;
      }
    }
  };

  ep.onMessage((m) => {
    if (m.kind === "init") {
      ctrl = new Int32Array(m.control);
      f64 = new Float64Array(m.control);
      base = slotBase(m.slot);
      thread = m.slot + 1;
      module = m.module;
      spinMs = m.spinMs;
      for (const mem of m.memories) addMemory(mem);
    } else {
      addMemory(m.memory);
    }
    handled++;
    ep.postMessage({ kind: "ready" });
    if (!running && handled === Atomics.load(ctrl, base + MAIL)) loop();
  });
}
