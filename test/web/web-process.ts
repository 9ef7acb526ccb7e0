/** `pocketvlm web` as a child process on a free loopback port, with its request log. */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { createInterface } from "node:readline";

export interface WebProcess {
  readonly url: string;
  /** Request lines logged so far ("GET /models/model/x.gguf 200 1234"). */
  readonly requests: string[];
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

export async function startWeb(args: { model: string; mmproj?: string; isolation: boolean; env?: Record<string, string> }): Promise<WebProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [
    "--import", "tsx", "src/cli/run.ts", "web", "--port", String(port),
    "--model", args.model, ...(args.mmproj ? ["--mmproj", args.mmproj] : []), ...(args.isolation ? [] : ["--no-isolation"]),
  ], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...args.env } });
  const requests: string[] = [];
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += String(d)));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (line) => {
      const m = /^pocketvlm web: (http:\/\/\S+)/.exec(line);
      if (m) resolve(m[1]);
      else if (line.startsWith("web: ")) requests.push(line.slice(5));
    });
    void exited.then((code) => reject(new Error(`pocketvlm web exited ${code}: ${stderr}`)));
  });
  return {
    url, requests,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
