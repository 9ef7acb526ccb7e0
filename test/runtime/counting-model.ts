import type { ForwardInput, KvCache, LanguageModel, LlmConfig } from "../../src/models/llm/language-model.js";

/** A KV cache stand-in that keeps one item per row; `rows()` and `push()` are its test-only access. */
export function listCache<T>(): KvCache {
  let rows: T[] = [];
  return {
    get nextPosition() { return rows.length; },
    length: () => rows.length,
    positions: () => Int32Array.from(rows.keys()),
    truncate(from: number) { rows = rows.slice(0, from); },
    clear() { rows = []; },
    ...({ rows: () => rows, push: (x: T) => rows.push(x) } as object),
  } as unknown as KvCache;
}

/** A deterministic stand-in model: after token t it strongly prefers (t + 1) mod vocab. */
export function countingModel(nVocab = 300, contextLength = 4096): LanguageModel & { calls: number[] } {
  const config: LlmConfig = {
    arch: "qwen3", nVocab, nEmbd: 4, nLayers: 1, nHeads: 1, nKVHeads: 1, headDim: 4, nFF: 4,
    contextLength, ropeTheta: 1e6, rmsEps: 1e-6, embeddingScale: 1, residualScale: 1, logitScale: 1,
    ropeDim: 4, ropeStyle: "neox", ropeFreqScale: 1, attentionScale: 0.5,
  };
  const calls: number[] = [];
  return {
    config,
    calls,
    newCache: () => listCache<number | null>(),
    embedTokens(ids) { return new Float32Array(ids.length * 4); },
    forward(input: ForwardInput, cache, options) {
      const c = cache as unknown as { push(x: number | null): void };
      let last = -1;
      if (input.kind === "tokens") { for (let i = 0; i < input.ids.length; i++) { c.push(input.ids[i]); last = input.ids[i]; } calls.push(input.ids.length); }
      else { for (let i = 0; i < input.n; i++) c.push(null); last = 7; calls.push(input.n); }
      if ((options?.logits ?? "last") === "none") return {};
      const logits = new Float32Array(nVocab);
      logits[(last + 1) % nVocab] = 10;
      logits[(last + 2) % nVocab] = 9;
      return { logits };
    },
    async dispose() {},
  };
}

/** Byte tokens: id < 256 is that byte; 299 is the end-of-generation token. */
export const byteText = {
  isEog: (id: number) => id === 299,
  tokenToPiece: (id: number) => (id < 256 ? new Uint8Array([id]) : new TextEncoder().encode(`<${id}>`)),
};
