import { ARGS_F64, BELL, DONE, ERR, FN, MAIL, MEM, NARGS, PARKED, SEQ, SLOT_I32, type FromWorker, type ToWorker } from "./control.js";
import { POOL_FUNCTIONS } from "./kernel-abi.js";
import { instantiate } from "./memory-slot.js";

/** The worker's side of its message channel (Node's parentPort or a Web Worker's global scope). */
export interface WorkerEndpoint {
  postMessage(message: FromWorker): void;
  onMessage(listener: (message: ToWorker) => void): void;
}

type Kernel = (...args: number[]) => unknown;

/**
 * Runs inside a worker: instantiates the kernels on every memory it is sent, then serves calls from
 * the control block, spinning between calls and parking in Atomics.wait after `spinMs` of idleness.
 * It leaves the loop (back to the event loop) whenever a message is waiting for it.
 */
export function runKernelWorker(ep: WorkerEndpoint): void {
  let ctrl: Int32Array<ArrayBufferLike> = new Int32Array(0);
  let args: Float64Array<ArrayBufferLike> = new Float64Array(0);
  let base = 0;
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

  const execute = (): void => {
    const fn = kernels[ctrl[base + MEM]][ctrl[base + FN]];
    const n = ctrl[base + NARGS];
    const a = (base >> 1) + ARGS_F64;
    const list = new Array<number>(n);
    for (let i = 0; i < n; i++) list[i] = args[a + i];
    fn(...list);
  };

  const loop = (): void => {
    running = true;
    let deadline = performance.now() + spinMs;
    for (let spins = 0; ; spins++) {
      const bell = Atomics.load(ctrl, base + BELL);
      const seq = Atomics.load(ctrl, base + SEQ);
      if (seq !== last) {
        last = seq;
        try {
          execute();
        } catch (e) {
          Atomics.store(ctrl, base + ERR, 1);
          ep.postMessage({ kind: "error", message: e instanceof Error ? e.message : String(e) });
        }
        Atomics.store(ctrl, base + DONE, seq);
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
      args = new Float64Array(m.control);
      base = m.slot * SLOT_I32;
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
