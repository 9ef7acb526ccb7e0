/**
 * Layout of the shared control block. One job area (what to run and the chunk counter), then one
 * 256-byte slot per worker (no false sharing) for its doorbell.
 *
 * A call is split into chunks of the range argument. JOB packs (job id << 12 | next chunk); every
 * thread, the caller included, claims chunks with compareExchange while the id is still its job's,
 * runs them and counts COMPLETED. So a worker the OS has not scheduled yet simply takes no chunk,
 * and one that wakes after the job has finished finds nothing to claim. The caller writes the next
 * job only once COMPLETED has reached NCHUNKS, i.e. once every chunk was claimed and run.
 *
 * Waking: the caller stores the job id in the worker's SEQ, bumps BELL, and notifies only if the
 * worker is PARKED (it spins for a while after each job, then parks in Atomics.wait on BELL). MAIL
 * counts postMessages sent to a worker, so it leaves its loop to receive them.
 */
export const JOB_BYTES = 512;
export const JOB = 0;
export const COMPLETED = 1;
export const FN = 2;
export const MEM = 3;
export const NARGS = 4;
export const CHUNK = 5;
export const TOTAL = 6;
export const SPLIT_AT = 7;
export const PER_THREAD_AT = 8;
export const NCHUNKS = 9;
export const ERR = 10;
/** f64 index of the per-thread base and stride, then of the arguments. */
export const PER_THREAD_BASE_F64 = 8;
export const PER_THREAD_STRIDE_F64 = 9;
export const ARGS_F64 = 10;
export const MAX_ARGS = JOB_BYTES / 8 - ARGS_F64;
export const CHUNK_BITS = 12;
export const MAX_CHUNKS = (1 << CHUNK_BITS) - 1;
export const JOB_ID_MASK = (1 << (32 - CHUNK_BITS)) - 1;

export const SLOT_BYTES = 256;
/** i32 index of worker w's slot. */
export const slotBase = (w: number): number => (JOB_BYTES + w * SLOT_BYTES) / 4;
export const SEQ = 0;
export const PARKED = 1;
export const MAIL = 2;
export const BELL = 3;

export interface InitMessage {
  readonly kind: "init";
  readonly module: WebAssembly.Module;
  readonly memories: readonly WebAssembly.Memory[];
  readonly control: SharedArrayBuffer;
  /** Worker index (thread id = index + 1; the caller is thread 0). */
  readonly slot: number;
  /** How long a worker keeps spinning after its last job before it parks in Atomics.wait. */
  readonly spinMs: number;
}

export interface MemoryMessage {
  readonly kind: "memory";
  readonly memory: WebAssembly.Memory;
}

export type ToWorker = InitMessage | MemoryMessage;
export type FromWorker = { readonly kind: "ready" } | { readonly kind: "error"; readonly message: string };
