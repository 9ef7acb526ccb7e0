/** The vision benchmark's report: its JSON shape and the readable tables. */
import type { CropResult, MeasureFailure, TtftResult } from "./measure.js";
import type { PeerRun } from "./peer.js";

export const TARGETS = {
  /** Our crop encoding at least this many times faster than llama.cpp's. */
  cropSpeedup: 2,
  /** Our time to first token at most this fraction of llama.cpp's. */
  ttftRatio: 0.6,
} as const;

export interface PeerCrop {
  readonly runs: number;
  readonly samples: number[];
  readonly secondsPerCrop?: number;
  readonly overviewSeconds?: number;
  /** CPU seconds per wall second of its runs (median; measured over the time-to-first-token window). */
  readonly cpuPerWall?: number;
  readonly error?: string;
}

export interface PeerTtft {
  readonly runs: number;
  readonly samples: number[];
  readonly seconds?: number;
  readonly encodeSeconds?: number;
  readonly cpuPerWall?: number;
  readonly error?: string;
}

export interface CropRow {
  readonly type: string;
  readonly threads: number;
  readonly ours: CropResult | MeasureFailure;
  readonly peer?: PeerCrop;
  /** llama.cpp's seconds per crop / ours. */
  readonly speedup?: number;
  readonly meetsTarget?: boolean;
}

export interface TtftRow {
  readonly type: string;
  readonly threads: number;
  readonly ours: TtftResult | MeasureFailure;
  readonly peer?: PeerTtft;
  /** Ours / llama.cpp's. */
  readonly ratio?: number;
  readonly meetsTarget?: boolean;
}

export interface FileInfo {
  readonly role: string;
  readonly type: string;
  readonly path: string;
  readonly bytes: number;
  readonly reused: boolean;
  readonly seconds: number;
}

export interface VisionBenchReport {
  readonly benchmark: "pocketvlm vision";
  readonly date: string;
  readonly machine: { cpu: string; cores: number; memoryBytes: number; node: string; loadAvgStart: number[]; loadAvgEnd: number[] };
  readonly settings: {
    readonly config: "full" | "small";
    readonly mmproj: Record<string, number | string>;
    readonly llm?: { id: string; type: string; n_embd: number; n_layer: number; parameters: number };
    readonly image: { path: string; width: number; height: number };
    readonly prompt: string;
    readonly preprocess: string;
    readonly backend: string;
    readonly types: string[];
    readonly threads: number[];
    readonly ttftThreads?: number;
    readonly reps: number;
    /** GFLOP of one 448×448 crop by part (2 × multiply-adds). */
    readonly cropGflop: Record<string, number>;
  };
  readonly targets: typeof TARGETS;
  readonly files: FileInfo[];
  readonly peer?: { bin: string; env: Record<string, string>; runs: (PeerRun & { type: string })[] };
  readonly crops: CropRow[];
  readonly ttft: TtftRow[];
  readonly notes: string[];
}

const f = (x: number | undefined, d = 2) => (x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(d));
const mark = (ok: boolean | undefined) => (ok === undefined ? "–" : ok ? "✓" : "✗");

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(w[i])).join(" | ")} |`;
  return [line(head), `|${w.map((n) => "-".repeat(n + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

export function formatReport(r: VisionBenchReport): string {
  const out: string[] = [];
  const s = r.settings;
  out.push(`pocketvlm vision benchmark, ${r.date}`);
  out.push(`${r.machine.cpu}, ${r.machine.cores} cores, Node ${r.machine.node}, load average ${r.machine.loadAvgStart.map((x) => x.toFixed(2)).join(" ")} at the start, ${r.machine.loadAvgEnd.map((x) => x.toFixed(2)).join(" ")} at the end`);
  const m = s.mmproj;
  out.push(`mmproj: SigLIP NaViT ${m.layers}×${m.hidden} (FFN ${m.ffn}, ${m.heads} heads) + resampler ${m.embedDim} (${m.queries} queries), minicpmv_version ${m.version}, random weights (${s.config})`);
  if (s.llm) out.push(`LLM: ${s.llm.id} ${s.llm.type.toUpperCase()}, ${s.llm.n_layer}×${s.llm.n_embd}, ${(s.llm.parameters / 1e9).toFixed(2)} B parameters, random weights`);
  out.push(`backend ${s.backend}; medians of ${s.reps} rep(s); one crop = ${Object.values(s.cropGflop).reduce((a, b) => a + b, 0).toFixed(0)} GFLOP`);
  out.push("");

  out.push("Seconds per 448×448 crop (1024 patches, vision tower + resampler)");
  out.push(table(
    ["mmproj", "threads", "ours s", "ours cold s", "GFLOP/s", "CPU/wall", "llama.cpp s", "speed-up", `≥ ${TARGETS.cropSpeedup}×`],
    r.crops.map((c) => {
      const gflop = Object.values(s.cropGflop).reduce((a, b) => a + b, 0);
      const ok = c.ours.ok ? c.ours : undefined;
      return [
        c.type.toUpperCase(), String(c.threads),
        ok ? f(ok.secondsPerCrop) : `failed`, f(ok?.coldSeconds), ok ? f(gflop / ok.secondsPerCrop, 0) : "–", f(ok?.cpuPerWall),
        c.peer ? (c.peer.secondsPerCrop !== undefined ? f(c.peer.secondsPerCrop) : "failed") : "–",
        c.speedup !== undefined ? `${f(c.speedup)}×` : "–", mark(c.meetsTarget),
      ];
    }),
  ));
  for (const c of r.crops) if (!c.ours.ok) out.push(`  ${c.type} ${c.threads} thread(s): ${c.ours.error.split("\n")[0]}`);
  out.push("");

  if (r.ttft.length) {
    out.push(`Time to first token, ${s.image.width}×${s.image.height} image + question (image decode, crops, tower + resampler, prefill of every row)`);
    out.push(table(
      ["mmproj", "threads", "ours s", "= images s", "(tower s)", "+ prefill s", "rows", "CPU/wall", "llama.cpp s", "= encode s", "+ rest s", "ratio", `≤ ${TARGETS.ttftRatio}`],
      r.ttft.map((t) => {
        const o = t.ours.ok ? t.ours : undefined;
        const p = t.peer;
        return [
          t.type.toUpperCase(), String(t.threads),
          o ? f(o.seconds) : "failed", f(o?.encodeSeconds), f(o?.towerSeconds), f(o?.prefillSeconds), o ? String(o.promptRows) : "–", f(o?.cpuPerWall),
          p ? (p.seconds !== undefined ? f(p.seconds) : "failed") : "–", f(p?.encodeSeconds),
          p?.seconds !== undefined && p.encodeSeconds !== undefined ? f(p.seconds - p.encodeSeconds) : "–",
          t.ratio !== undefined ? f(t.ratio) : "–", mark(t.meetsTarget),
        ];
      }),
    ));
    for (const t of r.ttft) if (!t.ours.ok) out.push(`  ${t.type} ${t.threads} thread(s): ${t.ours.error.split("\n")[0]}`);
    out.push("");
  }

  for (const c of r.crops) {
    const p = c.ours.ok ? c.ours.profile : undefined;
    if (!p) continue;
    out.push(`Where one crop's time goes: ours, ${c.type.toUpperCase()}, ${c.threads} thread(s), ${p.patches} patches, ${f(p.totalMs / 1000)} s`);
    const rows = Object.entries(p.parts).sort((a, b) => b[1].ms - a[1].ms).map(([k, v]) => [
      k, f(v.ms, 0), `${f((100 * v.ms) / p.totalMs, 1)}%`, String(v.calls || "–"), v.gflopPerS !== undefined ? f(v.gflopPerS, 1) : "–",
    ]);
    out.push(table(["part", "ms", "share", "calls", "GFLOP/s"], rows));
    out.push(`  in "rest", replayed alone: ${Object.entries(p.restReplay).map(([k, v]) => `${k} ${f(v.ms, 0)} ms (${v.calls}×)`).join(", ")}`);
    out.push("");
  }

  if (r.peer) {
    out.push(`Peer: ${r.peer.bin}${Object.keys(r.peer.env).length ? ` (env ${Object.entries(r.peer.env).map(([k, v]) => `${k}=${v}`).join(" ")})` : ""}`);
    for (const run of r.peer.runs) {
      out.push(`  ${run.type.toUpperCase()} ${run.threads} thread(s): ${run.ok ? `crops ${run.cropMs.map((x) => f(x / 1000, 1)).join(", ")} s; first token ${f(run.ttftSeconds)} s; CPU/wall ${f(run.cpuPerWall)}` : run.error}`);
    }
    out.push("");
  }
  for (const n of r.notes) out.push(`- ${n}`);
  return out.join("\n");
}
