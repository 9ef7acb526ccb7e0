import type { Command } from "commander";
import { access } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { UserError, isUserError } from "../../errors.js";
import { defaultModelPaths } from "../../node/default-model.js";
import { createWebServer } from "../../web/server/web-server.js";
import { webRoot } from "../../web/server/web-root.js";
import { isGguf } from "../../hub/pick-files.js";
import { localModelPaths } from "../../node/hub-model.js";
import { downloadProgress } from "../download-progress.js";
import { parseNumber } from "../options.js";

interface WebFlags {
  port: string;
  model?: string;
  mmproj?: string;
  isolation: boolean;
}

/** The model pair to serve: the flags', or the built-in one; none (with a note for the page) if it is missing. */
async function modelPair(f: WebFlags): Promise<{ model?: { llm: string; mmproj: string }; note?: string }> {
  if (f.model || f.mmproj) {
    const download = downloadProgress();
    const { model, mmproj } = await localModelPaths(f.model, f.mmproj, { onProgress: download.onProgress }).finally(() => download.stop());
    if (!model || !mmproj) throw new UserError("bad_argument", "--model and --mmproj go together (the LLM GGUF and its vision projector; a Hub repo gives both)");
    if (!isGguf(model)) throw new UserError("unsupported", `${model}: the page loads GGUF pairs, not authors' folders`);
    return { model: { llm: model, mmproj } };
  }
  try {
    const d = defaultModelPaths();
    return { model: { llm: d.model, mmproj: d.mmproj } };
  } catch (e) {
    if (!isUserError(e)) throw e;
    return { note: `No model on the server (${e.message}): load one below.` };
  }
}

/** `pocketvlm web`: the browser demo on loopback (the model runs in the page, not in this process). */
export function registerWeb(program: Command): void {
  program
    .command("web")
    .description("serve the browser demo on 127.0.0.1: the model runs in the page (WebAssembly on Web Workers); default model: the built-in one")
    .option("--port <n>", "port (0 = any free port)", "8090")
    .option("--model <file>", "LLM GGUF served to the page, or a Hub GGUF repo hf:owner/name[:QUANT] (default: the built-in ShapesWorld model)")
    .option("--mmproj <file>", "vision projector GGUF (mmproj) that belongs to --model")
    .option("--no-isolation", "leave out the COOP/COEP headers: the page is not cross-origin isolated and runs on one thread")
    .action(async (f: WebFlags) => {
      const port = parseNumber("--port", f.port, (x) => Number.isInteger(x) && x >= 0 && x < 65536)!;
      const { model, note } = await modelPair(f);
      for (const p of model ? [model.llm, model.mmproj] : []) {
        await access(p).catch(() => {
          throw new UserError("missing", `${p}: cannot read the file`);
        });
      }
      const server = createWebServer({
        root: await webRoot(), model, note, isolation: f.isolation, hubUrl: process.env.HF_ENDPOINT, log: (l) => console.log(`web: ${l}`),
      });
      await new Promise<void>((resolve, reject) => {
        server.once("error", (e: NodeJS.ErrnoException) => reject(e.code === "EADDRINUSE" ? new UserError("bad_argument", `port ${port} is in use`) : e));
        server.listen(port, "127.0.0.1", resolve);
      });
      const { port: actual } = server.address() as AddressInfo;
      console.log(`pocketvlm web: http://127.0.0.1:${actual}/ (${f.isolation ? "cross-origin isolated: kernels on Web Workers" : "no isolation: one thread"}; model: ${model ? model.llm : "none, pick files in the page"})`);
      const stop = () => {
        server.close(() => process.exit(0));
        server.closeAllConnections();
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
}
