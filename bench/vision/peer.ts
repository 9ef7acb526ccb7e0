/**
 * The peer: llama.cpp's `llama-mtmd-cli`, run on the same LLM + mmproj files and the same image in the
 * same benchmark run. Only the path of an existing build is taken (flag `--llama-mtmd-cli` or env
 * `LLAMA_MTMD_CLI`); nothing of llama.cpp is part of this package.
 *
 *   llama-mtmd-cli -m LLM --mmproj MMPROJ --image IMG -p PROMPT -n 1 -t N
 *
 * What is read from its output:
 * - per crop encoding time: "mtmd batch encoding done in X ms" after "encoding mtmd batch, n_chunks = k"
 *   (X / k per crop; MiniCPM-V's crops are separated by text, so k = 1), or older builds' "image slice
 *   encoded in X ms". The first crop of the image is the overview, the others the 448×448 slices.
 * - time to first token: from the moment its log says it is about to take the message (the
 *   "experimental CLI" warning, printed right before the image file is read) to the first bytes on its
 *   stdout (the newline it prints when the prompt, image rows included, has been evaluated, right
 *   before sampling; then the token). Both instants are taken on our clock as the lines arrive; the
 *   model load before it is not counted, as ours is not.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";

export interface PeerRun {
  readonly ok: boolean;
  readonly command: string;
  readonly threads: number;
  /** Encoding time of every crop in order (ms); [0] is the overview. */
  readonly cropMs: number[];
  /** The slices' encoding times (the crops after the overview; all crops when there is only one). */
  readonly sliceMs: number[];
  /** Time to first token (seconds), when both markers were seen. */
  readonly ttftSeconds?: number;
  /** CPU seconds it got per wall second between the two markers (≈ threads on a quiet machine). */
  readonly cpuPerWall?: number;
  /** Sum of the crops' encoding times (seconds). */
  readonly encodeSeconds: number;
  readonly error?: string;
}

export interface MtmdOptions {
  readonly bin: string;
  readonly llm: string;
  readonly mmproj: string;
  readonly image: string;
  readonly prompt: string;
  readonly threads: number;
  readonly env?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
  readonly timeoutMs?: number;
  /** Told about the process while it runs (so a caller can end it when it is itself ended). */
  readonly track?: (child: ChildProcess, running: boolean) => void;
}

const START = /This is an experimental CLI|For normal use cases/;
const BATCH_BEGIN = /encoding mtmd batch, n_chunks = (\d+)/;
const BATCH_DONE = /mtmd batch encoding done in (\d+(?:\.\d+)?) ms/;
const SLICE_DONE = /(?:image|audio) slice encoded in (\d+(?:\.\d+)?) ms/;

/** Parses the crop encoding times out of llama-mtmd-cli's log lines. */
export function parseEncodeTimes(lines: readonly string[]): number[] {
  const out: number[] = [];
  let pending = 1;
  for (const line of lines) {
    let m = BATCH_BEGIN.exec(line);
    if (m) { pending = Math.max(1, Number(m[1])); continue; }
    m = BATCH_DONE.exec(line);
    if (m) {
      for (let i = 0; i < pending; i++) out.push(Number(m[1]) / pending);
      pending = 1;
      continue;
    }
    m = SLICE_DONE.exec(line);
    if (m) out.push(Number(m[1]));
  }
  return out;
}

/** utime + stime of a running process in seconds (Linux /proc; undefined elsewhere). */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // fields 14, 15 in clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

export function runMtmd(o: MtmdOptions): Promise<PeerRun> {
  const args = ["-m", o.llm, "--mmproj", o.mmproj, "--image", o.image, "-p", o.prompt, "-n", "1", "-t", String(o.threads)];
  const envNote = Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${v} `).join("");
  const command = `${envNote}${o.bin} ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(" ")}`;
  return new Promise((resolve) => {
    const lines: string[] = [];
    let errBuf = "";
    let tStart: number | undefined;
    let tFirstOut: number | undefined;
    let cpuStart: number | undefined;
    let cpuPerWall: number | undefined;
    const child = spawn(o.bin, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...o.env } });
    o.track?.(child, true);
    const timer = o.timeoutMs ? setTimeout(() => child.kill("SIGKILL"), o.timeoutMs) : undefined;
    child.stdout.on("data", () => {
      if (tStart !== undefined && tFirstOut === undefined) {
        tFirstOut = performance.now();
        const c = cpuSeconds(child.pid);
        if (c !== undefined && cpuStart !== undefined) cpuPerWall = (c - cpuStart) / ((tFirstOut - tStart) / 1000);
      }
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      const now = performance.now();
      errBuf += d;
      let i;
      while ((i = errBuf.indexOf("\n")) >= 0) {
        const line = errBuf.slice(0, i);
        errBuf = errBuf.slice(i + 1);
        lines.push(line);
        if (tStart === undefined && START.test(line)) {
          tStart = now;
          cpuStart = cpuSeconds(child.pid);
        }
        if (BATCH_DONE.test(line) || SLICE_DONE.test(line) || /error|failed/i.test(line)) o.log?.(`    ${line.trim()}`);
      }
    });
    child.on("error", (e) => {
      if (timer) clearTimeout(timer);
      o.track?.(child, false);
      resolve({ ok: false, command, threads: o.threads, cropMs: [], sliceMs: [], encodeSeconds: 0, error: `cannot run ${o.bin}: ${e.message}` });
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      o.track?.(child, false);
      if (errBuf) lines.push(errBuf);
      const cropMs = parseEncodeTimes(lines);
      const sliceMs = cropMs.length > 1 ? cropMs.slice(1) : cropMs;
      const encodeSeconds = cropMs.reduce((a, b) => a + b, 0) / 1000;
      const base = { command, threads: o.threads, cropMs, sliceMs, encodeSeconds };
      if (code !== 0) {
        const why = signal ? `killed by ${signal}` : `exit code ${code}`;
        const hint = signal === "SIGILL"
          ? " (illegal instruction: this llama.cpp build uses CPU instructions this machine/VM cannot run, e.g. AMX tiles; see bench/README.md)"
          : "";
        const tail = lines.filter((l) => l.trim()).slice(-4).join(" | ");
        resolve({ ...base, ok: false, error: `llama-mtmd-cli failed: ${why}${hint}${tail ? `: ${tail}` : ""}` });
        return;
      }
      if (cropMs.length === 0) {
        resolve({ ...base, ok: false, error: "llama-mtmd-cli printed no image encoding times (unknown output format?)" });
        return;
      }
      const ttftSeconds = tStart !== undefined && tFirstOut !== undefined ? (tFirstOut - tStart) / 1000 : undefined;
      resolve({ ...base, ok: true, ttftSeconds, cpuPerWall, ...(ttftSeconds === undefined ? { error: "no time to first token: the start marker or the first output was not seen" } : {}) });
    });
  });
}
