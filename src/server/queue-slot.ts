import { ApiError } from "./api-error.js";
import { FifoQueue, QueueAbortedError, QueueClosedError, QueueFullError } from "./fifo-queue.js";
import type { RequestCancel } from "./request-cancel.js";

/** Waits for the model; queue refusals become HTTP errors (429 full, 503 shutting down or out of time). */
export async function acquireModel(queue: FifoQueue, cancel: RequestCancel, timeoutMs: number): Promise<() => void> {
  try {
    return await queue.acquire(cancel.signal);
  } catch (e) {
    if (e instanceof QueueFullError) {
      throw new ApiError(429, `The server is busy: ${e.limit} requests are already waiting for the model. Retry later.`, "queue_full", null, undefined, { "retry-after": "1" });
    }
    if (e instanceof QueueClosedError) throw new ApiError(503, "The server is shutting down.", "shutting_down");
    if (e instanceof QueueAbortedError) {
      if (e.reason === "timeout") throw new ApiError(503, `The request waited for the model longer than its time limit (${timeoutMs} ms).`, "queue_timeout");
      if (e.reason === "shutdown") throw new ApiError(503, "The server is shutting down.", "shutting_down");
      throw new ApiError(499, "The client closed the connection.", "client_closed_request");
    }
    throw e;
  }
}
