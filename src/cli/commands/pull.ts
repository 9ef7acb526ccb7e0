import type { Command } from "commander";
import { UserError } from "../../errors.js";
import { formatHubModelRef, parseHubModelRef } from "../../hub/model-ref.js";
import { hubCacheDir } from "../../node/hub-cache.js";
import { resolveHubModel } from "../../node/hub-model.js";
import { downloadProgress } from "../download-progress.js";

interface PullFlags {
  quant?: string;
  revision?: string;
  endpoint?: string;
  cacheDir?: string;
  offline?: boolean;
  json?: boolean;
}

/** `pocketvlm pull`: fetch a Hub model into the Hugging Face cache and print where its files are. */
export function registerPull(program: Command): void {
  program
    .command("pull")
    .description("download a model from the Hugging Face Hub into the Hugging Face cache (resumable, checked against the Hub's hashes) and print its local paths; then use --model hf:owner/name[:QUANT] anywhere")
    .argument("<repo>", "owner/name or hf:owner/name[@revision][:QUANT], e.g. openbmb/MiniCPM-V-4_5-gguf:Q4_K_M; a GGUF repo gives the LLM of that quant (default Q4_K_M) and its mmproj, an authors' repo its config, safetensors and tokenizer files")
    .option("--quant <name>", "GGUF quantization to take from a repo that holds several (e.g. Q4_K_M, Q8_0, F16)")
    .option("--revision <rev>", "branch, tag or commit (default: main, or the @revision in <repo>)")
    .option("--endpoint <url>", "Hub URL (default: HF_ENDPOINT, else https://huggingface.co)")
    .option("--cache-dir <dir>", "cache folder (default: HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)")
    .option("--offline", "only look in the cache (as HF_HUB_OFFLINE=1)")
    .option("--json", "print one JSON object")
    .action(async (repo: string, f: PullFlags) => {
      const parsed = parseHubModelRef(repo);
      if (f.quant !== undefined && parsed.quant !== undefined && f.quant !== parsed.quant) {
        throw new UserError("bad_argument", `--quant ${f.quant} and :${parsed.quant} in ${repo} disagree`);
      }
      const ref = { repo: parsed.repo, revision: f.revision ?? parsed.revision, quant: f.quant ?? parsed.quant };
      const download = downloadProgress();
      const cacheDir = f.cacheDir ?? hubCacheDir();
      const r = await resolveHubModel(ref, { endpoint: f.endpoint, cacheDir, offline: f.offline, onProgress: download.onProgress })
        .finally(() => download.stop());
      const use = `hf:${formatHubModelRef(ref)}`;
      if (f.json) {
        process.stdout.write(JSON.stringify({ repo: ref.repo, revision: ref.revision, commit: r.commit, model: r.model, mmproj: r.mmproj ?? null,
          files: r.files, from_cache: r.fromCache, cache_dir: cacheDir, use }) + "\n");
        return;
      }
      process.stdout.write(`${ref.repo}@${ref.revision} (commit ${r.commit.slice(0, 12)})${r.fromCache ? ", from the cache" : ""}\n`);
      process.stdout.write(`model:  ${r.model}\n`);
      if (r.mmproj) process.stdout.write(`mmproj: ${r.mmproj}\n`);
      process.stdout.write(`use:    --model ${use}${f.endpoint ? ` (with HF_ENDPOINT=${f.endpoint})` : ""}${f.cacheDir ? ` (with HF_HUB_CACHE=${f.cacheDir})` : ""}\n`);
    });
}
