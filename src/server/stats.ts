import type { CancelReason } from "./request-cancel.js";

/** Counters for /health and the load test. */
export class ServerStats {
  readonly startedAt = Date.now();
  completions = 0;
  completionTokens = 0;
  promptTokens = 0;
  /** Answers of `POST /v1/ground`. */
  groundings = 0;
  readonly cancelled: Record<CancelReason, number> = { disconnect: 0, timeout: 0, shutdown: 0 };
  /** Responses by status class ("2xx", "4xx", "5xx"). */
  readonly responses: Record<string, number> = {};

  countResponse(status: number): void {
    const k = `${Math.floor(status / 100)}xx`;
    this.responses[k] = (this.responses[k] ?? 0) + 1;
  }
}
