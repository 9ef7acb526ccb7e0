import type { MiniCPMV } from "../multimodal/vlm.js";
import type { ConstraintVocab } from "../runtime/constraints/index.js";
import type { FifoQueue } from "./fifo-queue.js";
import type { ModelIds } from "./model-ids.js";
import type { ServerOptions } from "./options.js";
import type { ServerStats } from "./stats.js";

/** What the routes share: the one model, its queue, options and counters. */
export interface ServerContext {
  readonly vlm: MiniCPMV;
  readonly models: ModelIds;
  readonly vocab: ConstraintVocab;
  /** Bytes of the longest token piece (for the context pre-check). */
  readonly longestPiece: number;
  readonly queue: FifoQueue;
  readonly options: ServerOptions;
  readonly stats: ServerStats;
  /** Aborts every request still running (forced shutdown after the grace period). */
  readonly shutdownSignal: AbortSignal;
  /** True once shutdown began: new requests are refused with 503. */
  readonly closing: () => boolean;
}
