/**
 * Layout of the shared control block: one 256-byte slot per worker (no false sharing), i32 fields
 * then f64 arguments. The hand-off: the caller writes FN/MEM/NARGS/arguments, stores SEQ, bumps BELL
 * and notifies only if the worker is PARKED; the worker runs the call and stores DONE = SEQ. MAIL
 * counts postMessages sent to the worker, so it leaves its loop to receive them.
 */
export const SLOT_BYTES = 256;
export const SLOT_I32 = SLOT_BYTES / 4;
export const SEQ = 0;
export const DONE = 1;
export const PARKED = 2;
export const MAIL = 3;
export const ERR = 4;
export const FN = 5;
export const MEM = 6;
export const NARGS = 7;
export const BELL = 8;
/** First f64 argument, in f64 units from the slot start. */
export const ARGS_F64 = 6;
export const MAX_ARGS = SLOT_BYTES / 8 - ARGS_F64;

export interface InitMessage {
  readonly kind: "init";
  readonly module: WebAssembly.Module;
  readonly memories: readonly WebAssembly.Memory[];
  readonly control: SharedArrayBuffer;
  readonly slot: number;
  /** How long a worker keeps spinning after its last call before it parks in Atomics.wait. */
  readonly spinMs: number;
}

export interface MemoryMessage {
  readonly kind: "memory";
  readonly memory: WebAssembly.Memory;
}

export type ToWorker = InitMessage | MemoryMessage;
export type FromWorker = { readonly kind: "ready" } | { readonly kind: "error"; readonly message: string };
