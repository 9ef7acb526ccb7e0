/** The benchmark's results: the JSON report's shape and the readable tables. */
import type { MeasureFailure, MeasureResult, OpProfile } from "./measure.js";
import type { PeerResult, PeerRow } from "./llama-bench.js";

export const TARGETS = { decodeRatio: 0.8, prefillRatio: 0.5, rssRatio: 1.15 } as const;

export interface ModelInfo {
  readonly type: string;
  readonly path: string;
  readonly fileBytes: number;
  readonly parameters: number;
  /** Weight bytes read per decoded token (all matrices but the embedding table). */
  readonly bytesPerToken: number;
  /** Our f32 key/value cache for prompt + gen rows. */
  readonly kvCacheBytes: number;
  readonly reused: boolean;
  readonly writeSeconds: number;
}

export interface ResultRow {
  readonly type: string;
  readonly threads: number;
  readonly ours: MeasureResult | MeasureFailure;
  readonly llamaCpp?: PeerRow;
  readonly ratios: {
    /** ours / llama.cpp */
    readonly prefill?: number;
    readonly decode?: number;
    /** peak RSS / (file size + KV cache) */
    readonly rss?: number;
  };
  readonly meetsTargets: { readonly prefill?: boolean; readonly decode?: boolean; readonly rss?: boolean };
  /** Decode tok/s × bytes per token: the DRAM bandwidth our decode effectively uses. */
  readonly decodeGBPerS?: number;
  readonly llamaDecodeGBPerS?: number;
}

export interface BenchReport {
  readonly benchmark: "pocketvlm llm";
  readonly date: string;
  readonly machine: { cpu: string; cores: number; memoryBytes: number; node: string; loadAvgStart: number[]; loadAvgEnd?: number[] };
  readonly settings: {
    model: string;
    dims: Record<string, number>;
    backend: string;
    prompt: number;
    gen: number;
    reps: number;
    threads: number[];
    types: string[];
  };
  readonly targets: typeof TARGETS;
  readonly models: ModelInfo[];
  readonly peer?: { bin: string; results: Record<string, PeerResult> };
  readonly results: ResultRow[];
  readonly notes: string[];
}

export function makeRow(type: string, threads: number, ours: MeasureResult | MeasureFailure, model: ModelInfo, peer?: PeerRow): ResultRow {
  const ratio = (a?: number, b?: number) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);
  const ok = ours.ok ? ours : undefined;
  const prefill = ratio(ok?.prefillTokPerS, peer?.prefillTokPerS);
  const decode = ratio(ok?.decodeTokPerS, peer?.decodeTokPerS);
  const rss = ok ? ok.maxRssBytes / (model.fileBytes + model.kvCacheBytes) : undefined;
  return {
    type,
    threads,
    ours,
    llamaCpp: peer,
    ratios: { prefill, decode, rss },
    meetsTargets: {
      prefill: prefill === undefined ? undefined : prefill >= TARGETS.prefillRatio,
      decode: decode === undefined ? undefined : decode >= TARGETS.decodeRatio,
      rss: rss === undefined ? undefined : rss <= TARGETS.rssRatio,
    },
    decodeGBPerS: ok ? (ok.decodeTokPerS * model.bytesPerToken) / 1e9 : undefined,
    llamaDecodeGBPerS: peer?.decodeTokPerS !== undefined ? (peer.decodeTokPerS * model.bytesPerToken) / 1e9 : undefined,
  };
}

const f = (x: number | undefined, d = 2) => (x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(d));
const gb = (b: number) => (b / 1e9).toFixed(2);
/** Bytes as GB, or MB below 0.1 GB (the toy models). */
const size = (b: number) => (b >= 1e8 ? `${(b / 1e9).toFixed(2)} GB` : `${(b / 1e6).toFixed(1)} MB`);

/** The value, ✓ when it meets the target, else ✗ and how far it is from the target. */
function mark(x: number | undefined, ok: boolean | undefined, target: number): string {
  if (x === undefined) return "–";
  if (ok) return `${x.toFixed(2)} ✓`;
  const miss = (x / target - 1) * 100;
  return `${x.toFixed(2)} ✗ (${miss > 0 ? "+" : ""}${miss.toFixed(0)}%)`;
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => [...r[i]].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c + " ".repeat(w[i] - [...c].length)).join(" | ")} |`;
  return [line(head), `|${w.map((n) => "-".repeat(n + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

export function formatReport(r: BenchReport): string {
  const out: string[] = [];
  const s = r.settings;
  out.push(`pocketvlm LLM benchmark — ${s.model}, backend ${s.backend}, prompt ${s.prompt}, gen ${s.gen}, ${s.reps} reps (medians)`);
  out.push(`machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${size(r.machine.memoryBytes)}, Node ${r.machine.node}; load avg at start ${r.machine.loadAvgStart.map((x) => x.toFixed(2)).join(" ")}`);
  out.push("");
  const models = new Map(r.models.map((m) => [m.type, m]));
  const rows = r.results.map((x) => {
    const m = models.get(x.type)!;
    const o = x.ours.ok ? x.ours : undefined;
    const err = x.ours.ok ? "" : x.ours.unavailable ? "wasm backend unavailable" : `error: ${x.ours.error.split("\n")[0].slice(0, 60)}`;
    return [
      x.type.toUpperCase(),
      String(x.threads),
      size(m.fileBytes),
      o ? f(o.loadSeconds, 1) : err,
      o ? f(o.prefillTokPerS) : "–",
      f(x.llamaCpp?.prefillTokPerS),
      mark(x.ratios.prefill, x.meetsTargets.prefill, TARGETS.prefillRatio),
      o ? f(o.decodeTokPerS) : "–",
      f(x.llamaCpp?.decodeTokPerS),
      mark(x.ratios.decode, x.meetsTargets.decode, TARGETS.decodeRatio),
      o ? size(o.maxRssBytes) : "–",
      mark(x.ratios.rss, x.meetsTargets.rss, TARGETS.rssRatio),
    ];
  });
  out.push(table(
    ["type", "thr", "file", "load s", "prefill tok/s", "llama.cpp pp", `pp ratio (≥${TARGETS.prefillRatio})`, "decode tok/s", "llama.cpp tg", `tg ratio (≥${TARGETS.decodeRatio})`, "peak RSS", `RSS/(file+KV) (≤${TARGETS.rssRatio})`],
    rows,
  ));

  const bw = r.results.filter((x) => x.decodeGBPerS !== undefined || x.llamaDecodeGBPerS !== undefined);
  if (bw.length) {
    out.push("");
    out.push("decode, weight bytes streamed per second (tok/s × bytes read per token):");
    out.push(table(["type", "thr", "bytes/token", "ours GB/s", "llama.cpp GB/s"], bw.map((x) => [
      x.type.toUpperCase(), String(x.threads), size(models.get(x.type)!.bytesPerToken), f(x.decodeGBPerS, 1), f(x.llamaDecodeGBPerS, 1),
    ])));
  }

  const profileTable = (title: string, pick: (m: MeasureResult) => OpProfile | undefined, rate: "gbPerS" | "gflopPerS") => {
    const rowsP = r.results.filter((x) => x.ours.ok && pick(x.ours));
    if (!rowsP.length) return;
    out.push("");
    out.push(title);
    const keys = [...new Set(rowsP.flatMap((x) => Object.keys(pick(x.ours as MeasureResult)!.parts)))];
    const order = (k: string) => (k.startsWith("matmul") ? 0 : k === "attention" ? 1 : k === "embedding" ? 2 : 3);
    keys.sort((a, b) => order(a) - order(b) || a.localeCompare(b));
    out.push(table(["type", "thr", "total ms", ...keys], rowsP.map((x) => {
      const p = pick(x.ours as MeasureResult)!;
      return [x.type.toUpperCase(), String(x.threads), f(p.totalMs, 1), ...keys.map((k) => {
        const e = p.parts[k];
        if (!e) return "–";
        const pct = ((e.ms / p.totalMs) * 100).toFixed(0);
        const v = e[rate];
        return `${f(e.ms, 1)} (${pct}%)${v !== undefined ? ` ${f(v, 1)} ${rate === "gbPerS" ? "GB/s" : "GFLOP/s"}` : ""}`;
      })];
    })));
  };
  profileTable("one decode step, ms (share) per token, from an empty cache (GB/s = weight bytes read / time):", (m) => m.decodeProfile, "gbPerS");
  profileTable(`one prefill of ${s.prompt} tokens, ms (share) (GFLOP/s = 2·rows·cols·tokens / time):`, (m) => m.prefillProfile, "gflopPerS");

  if (r.peer) {
    const bad = Object.entries(r.peer.results).filter(([, p]) => !p.ok);
    for (const [type, p] of bad) out.push(`\nllama.cpp on ${type.toUpperCase()}: ${p.error}`);
  } else {
    out.push("\nno llama.cpp peer (pass --llama-bench PATH or set LLAMA_BENCH to compare)");
  }
  const others = r.results.map((x) => x.ours.otherCpu).filter((x): x is number => x !== undefined);
  if (others.length) {
    const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
    out.push(`\nother processes used ${pct(Math.min(...others))}–${pct(Math.max(...others))} of the machine's cores during our measurements`
      + ` (${r.results.map((x) => `${x.type.toUpperCase()}/${x.threads}t ${x.ours.otherCpu === undefined ? "?" : pct(x.ours.otherCpu)}`).join(", ")})`);
  }
  for (const n of r.notes) out.push(`note: ${n}`);
  return out.join("\n");
}
