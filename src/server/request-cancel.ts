import type { ServerResponse } from "node:http";

/** Why a request stopped early: its client went away, its time ran out, or the server is stopping. */
export type CancelReason = "disconnect" | "timeout" | "shutdown";

/**
 * One AbortSignal per request that fires on the first of: the client's connection closing before the
 * response finished, the request's time limit (counted from arrival, queue wait included), or the
 * server's forced shutdown. `reason` tells which.
 */
export class RequestCancel {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly onClose: () => void;
  private readonly onShutdown: () => void;

  constructor(private readonly res: ServerResponse, timeoutMs: number, private readonly shutdown: AbortSignal) {
    this.onClose = () => { if (!res.writableFinished) this.cancel("disconnect"); };
    this.onShutdown = () => this.cancel("shutdown");
    res.once("close", this.onClose);
    this.timer = setTimeout(() => this.cancel("timeout"), timeoutMs);
    if (shutdown.aborted) this.cancel("shutdown");
    else shutdown.addEventListener("abort", this.onShutdown, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get reason(): CancelReason | undefined {
    return this.controller.signal.aborted ? (this.controller.signal.reason as CancelReason) : undefined;
  }

  cancel(reason: CancelReason): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.res.off("close", this.onClose);
    this.shutdown.removeEventListener("abort", this.onShutdown);
  }
}
