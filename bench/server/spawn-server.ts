/** Runs `pocketvlm serve` from source as a child process and watches its JSON-lines log and memory. */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Every log line so far (parsed). */
  readonly logs: Record<string, unknown>[];
  /** Highest rss seen by polling /health, and the process's own peak (maxRSS) at the last poll. */
  readonly memory: { rssMax: number; peakRss: number; rssAfterLoad: number };
  /** SIGTERM, then the exit code (SIGKILL after `killAfterMs`). */
  stop(killAfterMs?: number): Promise<number | null>;
}

export async function spawnServer(args: string[], readyTimeoutMs = 120_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/run.ts", "serve", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const logs: Record<string, unknown>[] = [];
  let stderr = "";
  child.stderr!.on("data", (d) => { stderr += String(d); });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server not ready after ${readyTimeoutMs} ms`)), readyTimeoutMs);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      let rec: Record<string, unknown>;
      try { rec = JSON.parse(line) as Record<string, unknown>; } catch { rec = { msg: line, unparsed: true }; }
      logs.push(rec);
      if (rec.msg === "listening") { clearTimeout(timer); resolve(rec.url as string); }
    });
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`server exited (${code}) before listening: ${stderr.slice(-2000)}`)); });
  });
  const memory = { rssMax: 0, peakRss: 0, rssAfterLoad: 0 };
  const poll = async () => {
    try {
      const h = (await (await fetch(`${url}/health`)).json()) as { memory: { rss_bytes: number; peak_rss_bytes: number } };
      memory.rssMax = Math.max(memory.rssMax, h.memory.rss_bytes);
      memory.peakRss = Math.max(memory.peakRss, h.memory.peak_rss_bytes);
      if (memory.rssAfterLoad === 0) memory.rssAfterLoad = h.memory.rss_bytes;
    } catch { /* busy or gone */ }
  };
  await poll();
  const poller = setInterval(() => void poll(), 250);
  return {
    url, child, logs, memory,
    async stop(killAfterMs = 30_000) {
      await poll();
      clearInterval(poller);
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
}
