/**
 * One model, one request at a time: a FIFO of waiters in front of a single slot. A full queue refuses at
 * once; a waiter whose signal aborts (client gone, time limit) leaves the queue; `close()` refuses every
 * waiter (shutdown). No continuous batching: requests are served strictly one after another.
 */
export class QueueFullError extends Error {
  constructor(readonly limit: number) {
    super(`the queue is full (${limit} requests waiting)`);
    this.name = "QueueFullError";
  }
}

export class QueueClosedError extends Error {
  constructor() {
    super("the server is shutting down");
    this.name = "QueueClosedError";
  }
}

/** Rejection when a waiter's signal aborts; `reason` is the signal's reason. */
export class QueueAbortedError extends Error {
  constructor(readonly reason: unknown) {
    super("left the queue before its turn");
    this.name = "QueueAbortedError";
  }
}

interface Waiter {
  resolve(release: () => void): void;
  reject(e: Error): void;
  cleanup(): void;
}

export class FifoQueue {
  private readonly waiters: Waiter[] = [];
  private busy = false;
  private closed = false;

  /** `maxWaiting`: most requests waiting behind the running one. */
  constructor(readonly maxWaiting: number) {}

  get waiting(): number {
    return this.waiters.length;
  }

  get running(): boolean {
    return this.busy;
  }

  /** Resolves with a release function when the slot is ours; call it exactly once when done. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.closed) return Promise.reject(new QueueClosedError());
    if (signal?.aborted) return Promise.reject(new QueueAbortedError(signal.reason));
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve(this.releaser());
    }
    if (this.waiters.length >= this.maxWaiting) return Promise.reject(new QueueFullError(this.maxWaiting));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new QueueAbortedError(signal!.reason));
      };
      const waiter: Waiter = {
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener("abort", onAbort),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Refuses new and waiting requests; the running one keeps its slot until it releases. */
  close(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) {
      w.cleanup();
      w.reject(new QueueClosedError());
    }
  }

  /** Resolves once nothing runs or waits. */
  async idle(): Promise<void> {
    while (this.busy || this.waiters.length > 0) await new Promise((r) => setTimeout(r, 20));
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) {
        next.cleanup();
        next.resolve(this.releaser());
      } else {
        this.busy = false;
      }
    };
  }
}
