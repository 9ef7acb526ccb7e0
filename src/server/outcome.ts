import type { GenerationResult } from "../runtime/generation.js";

/** How one completion ended, for the counters and the log line. */
export interface Outcome {
  readonly result: GenerationResult | null;
  readonly completionTokens: number;
  /** An internal error while generating (already reported to the client as well as possible). */
  readonly error?: unknown;
}
