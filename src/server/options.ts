import type { ImageLimits } from "./image-bytes.js";
import type { PlanDefaults } from "./plan.js";

export interface ServerOptions {
  /** Most requests waiting behind the running one; more are answered 429. */
  readonly maxQueue: number;
  /** Per-request time limit in ms, counted from arrival (queue wait included). */
  readonly timeoutMs: number;
  /** Largest request body in bytes. */
  readonly bodyLimit: number;
  readonly images: ImageLimits;
  readonly defaults: PlanDefaults;
}

export const DEFAULT_SERVER_OPTIONS: ServerOptions = {
  maxQueue: 16,
  timeoutMs: 120_000,
  bodyLimit: 64 * 1024 * 1024,
  images: {
    maxImages: 8,
    maxBytes: 10 * 1024 * 1024,
    maxPixels: 4096 * 4096,
    allowLocalFiles: false,
    allowRemote: false,
    remoteTimeoutMs: 10_000,
  },
  defaults: { maxTokens: 512, temperature: 1 },
};

/** Server options where every field, nested ones included, may be left to its default. */
export type ServerOptionsInput = Partial<Omit<ServerOptions, "images" | "defaults">> & { images?: Partial<ImageLimits>; defaults?: Partial<PlanDefaults> };

/** Options with every field filled from the defaults. */
export function serverOptions(o: ServerOptionsInput = {}): ServerOptions {
  const d = DEFAULT_SERVER_OPTIONS;
  return {
    maxQueue: o.maxQueue ?? d.maxQueue,
    timeoutMs: o.timeoutMs ?? d.timeoutMs,
    bodyLimit: o.bodyLimit ?? d.bodyLimit,
    images: { ...d.images, ...o.images },
    defaults: { ...d.defaults, ...o.defaults },
  };
}
