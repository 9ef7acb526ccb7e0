/**
 * The peer: llama.cpp's `llama-bench`, run on the same GGUF files in the same benchmark run.
 * Only the path to an existing build is taken (flag `--llama-bench` or env `LLAMA_BENCH`); nothing
 * of llama.cpp is part of this package.
 */
import { spawn } from "node:child_process";
import { median } from "./measure.js";

export interface PeerRow {
  readonly threads: number;
  /** Median tokens/s over the repetitions (llama-bench's `samples_ts`). */
  readonly prefillTokPerS?: number;
  readonly decodeTokPerS?: number;
  readonly prefillSamples?: number[];
  readonly decodeSamples?: number[];
}

export interface PeerResult {
  readonly ok: boolean;
  readonly command: string;
  readonly rows: PeerRow[];
  readonly error?: string;
  /** What llama-bench says about the model (e.g. "minicpm ?B Q4_0"), to show it accepted the file. */
  readonly modelType?: string;
  readonly cpuInfo?: string;
  readonly buildCommit?: string;
}

interface LlamaBenchEntry {
  n_prompt: number;
  n_gen: number;
  n_threads: number;
  samples_ts?: number[];
  avg_ts?: number;
  model_type?: string;
  cpu_info?: string;
  build_commit?: string;
}

export interface PeerOptions {
  readonly bin: string;
  readonly file: string;
  readonly prompt: number;
  readonly gen: number;
  readonly threads: readonly number[];
  readonly reps: number;
  /** Extra environment variables for llama-bench only. */
  readonly env?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
}

export function parseLlamaBenchJson(text: string): { rows: PeerRow[]; entries: LlamaBenchEntry[] } {
  const entries = JSON.parse(text) as LlamaBenchEntry[];
  if (!Array.isArray(entries)) throw new Error("llama-bench -o json did not print an array");
  const byThreads = new Map<number, { pp?: number[]; tg?: number[] }>();
  for (const e of entries) {
    const samples = e.samples_ts?.length ? e.samples_ts : e.avg_ts !== undefined ? [e.avg_ts] : [];
    const slot = byThreads.get(e.n_threads) ?? {};
    if (e.n_prompt > 0 && e.n_gen === 0) slot.pp = samples;
    else if (e.n_gen > 0 && e.n_prompt === 0) slot.tg = samples;
    byThreads.set(e.n_threads, slot);
  }
  const rows = [...byThreads].sort((a, b) => a[0] - b[0]).map(([threads, s]) => ({
    threads,
    prefillTokPerS: s.pp?.length ? median(s.pp) : undefined,
    decodeTokPerS: s.tg?.length ? median(s.tg) : undefined,
    prefillSamples: s.pp,
    decodeSamples: s.tg,
  }));
  return { rows, entries };
}

/** Runs `llama-bench -m FILE -p P -n N -t T1,T2 -r R -o json` and parses its medians. */
export function runLlamaBench(o: PeerOptions): Promise<PeerResult> {
  const args = ["-m", o.file, "-p", String(o.prompt), "-n", String(o.gen), "-t", o.threads.join(","), "-r", String(o.reps), "-o", "json", "--progress"];
  const envNote = Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${v} `).join("");
  const command = `${envNote}${o.bin} ${args.join(" ")}`;
  return new Promise((resolve) => {
    let out = "";
    let err = "";
    const child = spawn(o.bin, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...o.env } });
    child.stdout.setEncoding("utf8").on("data", (d: string) => { out += d; });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      err += d;
      for (const line of d.split("\n")) {
        if (/benchmark \d+\/\d+: (prompt|generation) run|error|warn/i.test(line)) o.log?.(`    ${line.trim()}`);
      }
    });
    child.on("error", (e) => resolve({ ok: false, command, rows: [], error: `cannot run ${o.bin}: ${e.message}` }));
    child.on("close", (code, signal) => {
      if (code !== 0) {
        const why = signal ? `killed by ${signal}` : `exit code ${code}`;
        const hint = signal === "SIGILL"
          ? " (illegal instruction: this llama.cpp build uses CPU instructions this machine/VM cannot run, e.g. AMX tiles; see bench/README.md)"
          : "";
        const tail = err.trim().split("\n").slice(-5).join(" | ");
        resolve({ ok: false, command, rows: [], error: `llama-bench failed: ${why}${hint}${tail ? `: ${tail}` : ""}` });
        return;
      }
      try {
        const { rows, entries } = parseLlamaBenchJson(out);
        resolve({ ok: true, command, rows, modelType: entries[0]?.model_type, cpuInfo: entries[0]?.cpu_info, buildCommit: entries[0]?.build_commit });
      } catch (e) {
        resolve({ ok: false, command, rows: [], error: `could not parse llama-bench output: ${(e as Error).message}` });
      }
    });
  });
}
