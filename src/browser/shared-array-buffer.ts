/**
 * Chromium hides the `SharedArrayBuffer` global on pages that are not cross-origin isolated, yet it
 * still creates shared WebAssembly memories (their `buffer` is a SharedArrayBuffer). The single-thread
 * WebAssembly backend needs only that: one shared memory for the kernels (built with --sharedMemory)
 * and a control block its thread pool allocates with `new SharedArrayBuffer` (never shared with a
 * worker when there are none). This gives the global back, taken from a shared memory's buffer.
 *
 * Returns false when the engine refuses shared memories outright (Firefox and Safari without
 * isolation): then the WebAssembly backend cannot run at all and the caller falls back.
 */
export function ensureSharedArrayBuffer(): boolean {
  const g = globalThis as { SharedArrayBuffer?: unknown };
  if (typeof g.SharedArrayBuffer === "function") return true;
  try {
    const probe = new WebAssembly.Memory({ initial: 0, maximum: 1, shared: true });
    g.SharedArrayBuffer = probe.buffer.constructor;
    return typeof g.SharedArrayBuffer === "function";
  } catch {
    return false;
  }
}
