import type { ChatStats, EngineInfo } from "../../browser/protocol.js";
import { formatBytes } from "./dom.js";

export function describeEngine(info: EngineInfo): string {
  const from = (o: string) => ({ network: "downloaded", cache: "from this browser's cache", range: "read by ranges", file: "your file" })[o] ?? o;
  const threads = info.threads > 1 ? `${info.threads} threads` : "1 thread";
  const isolation = info.crossOriginIsolated ? "cross-origin isolated" : "not cross-origin isolated (single thread)";
  return `${info.name} (${formatBytes(info.bytes.model)} + ${formatBytes(info.bytes.mmproj)} projector, ${from(info.origins.model)}) · `
    + `${info.backend}${info.relaxedSimd ? " relaxed-SIMD" : ""}, ${threads}, ${isolation} · loaded in ${(info.loadMs / 1000).toFixed(1)} s`;
}

export function describeStats(s: ChatStats): string {
  return `${s.tokens.length} tokens at ${s.tokensPerSecond.toFixed(1)} tokens/s · prompt ${s.promptRows} rows in ${(s.prefillMs / 1000).toFixed(2)} s · ${s.finishReason}`;
}

/** Tokens per second while the answer streams (from the first token on). */
export function liveRate(tokens: number, sinceFirstMs: number): string {
  return tokens > 1 ? `${tokens} tokens · ${((tokens - 1) / (sinceFirstMs / 1000)).toFixed(1)} tokens/s…` : `${tokens} tokens…`;
}
