import type { Command } from "commander";
import { stat } from "node:fs/promises";
import { defaultModelPaths } from "../../node/default-model.js";
import { hubCacheDir } from "../../node/hub-cache.js";
import { listCachedModels } from "../../node/hub-list.js";

const size = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(1)} MB`);

/** `pocketvlm list`: the models this machine can run without downloading anything. */
export function registerList(program: Command): void {
  program
    .command("list")
    .description("list the models that run without a download: the built-in one and the Hub models in the Hugging Face cache (each as its --model hf:… name)")
    .option("--cache-dir <dir>", "cache folder (default: HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)")
    .option("--json", "print one JSON array")
    .action(async (f: { cacheDir?: string; json?: boolean }) => {
      const cached = await listCachedModels(f.cacheDir ?? hubCacheDir());
      const builtIn = defaultModelPaths();
      const builtInBytes = (await stat(builtIn.model)).size + (await stat(builtIn.mmproj)).size;
      if (f.json) {
        process.stdout.write(JSON.stringify([
          { model: null, kind: "gguf", path: builtIn.model, mmproj: builtIn.mmproj, bytes: builtInBytes, commit: null, revisions: [] },
          ...cached.map((m) => ({ model: `hf:${m.ref}`, kind: m.kind, path: m.model, mmproj: m.mmproj ?? null, bytes: m.bytes, commit: m.commit, revisions: m.revisions })),
        ]) + "\n");
        return;
      }
      const rows = [["MODEL", "SIZE", "REVISION"], ["(built-in: no --model)", size(builtInBytes), ""],
        ...cached.map((m) => [`hf:${m.ref}`, size(m.bytes), `${m.revisions.length ? `${m.revisions.join(",")} ` : ""}${m.commit.slice(0, 12)}`])];
      const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
      for (const r of rows) process.stdout.write(r.map((x, c) => x.padEnd(widths[c])).join("  ").trimEnd() + "\n");
    });
}
