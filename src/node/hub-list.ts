import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../errors.js";
import { isGguf, isMmproj, pickModelFiles } from "../hub/pick-files.js";
import { snapshotFiles, snapshotFolder } from "./hub-cache.js";
import { pathsOf } from "./hub-model.js";

/** One model the cache holds, as `--model hf:<ref>` opens it. */
export interface CachedModel {
  /** owner/name[:QUANT] */
  readonly ref: string;
  readonly commit: string;
  /** Branches / tags that point at this commit in the cache. */
  readonly revisions: readonly string[];
  readonly kind: "gguf" | "folder";
  readonly model: string;
  readonly mmproj?: string;
  readonly bytes: number;
}

const quantOf = (file: string) => /[-_.]((?:I?Q\d[A-Z0-9_]*|[BF]F?16|F32))\.gguf$/i.exec(file)?.[1];

async function totalBytes(paths: readonly string[]): Promise<number> {
  let n = 0;
  for (const p of paths) n += (await stat(p).catch(() => ({ size: 0 }))).size;
  return n;
}

/**
 * The models in a Hugging Face cache that this engine can open: each GGUF language model of a cached
 * snapshot (with the snapshot's projector), and each authors' folder (config.json + safetensors).
 */
export async function listCachedModels(cache: string): Promise<CachedModel[]> {
  const out: CachedModel[] = [];
  const repos = (await readdir(cache).catch(() => [] as string[])).filter((d) => d.startsWith("models--")).sort();
  for (const dir of repos) {
    const repo = dir.slice("models--".length).replace("--", "/");
    const refsDir = join(cache, dir, "refs");
    const refs = new Map<string, string[]>();
    for (const name of await readdir(refsDir).catch(() => [] as string[])) {
      const commit = (await readFile(join(refsDir, name), "utf8").catch(() => "")).trim();
      refs.set(commit, [...(refs.get(commit) ?? []), name]);
    }
    for (const commit of (await readdir(join(cache, dir, "snapshots")).catch(() => [] as string[])).sort()) {
      const files = await snapshotFiles(cache, repo, commit);
      const folder = snapshotFolder(cache, repo, commit);
      const revisions = refs.get(commit) ?? [];
      const llms = files.filter((f) => isGguf(f) && !isMmproj(f));
      // One entry per LLM file, named by its quant (the Hub may hold more quants than the cache, so the
      // repo alone could name another); a single unnamed LLM file or an authors' folder: the repo alone.
      const quants = llms.flatMap((f) => quantOf(f) ?? []);
      for (const quant of llms.length > 1 || quants.length === 1 ? quants : [undefined]) {
        let pick;
        try {
          pick = pickModelFiles(repo, files, quant);
        } catch (e) {
          if (e instanceof UserError) continue; // not a model this engine opens (or an incomplete snapshot)
          throw e;
        }
        const paths = pathsOf(pick, folder);
        out.push({ ref: `${repo}${quant ? `:${quant}` : ""}`, commit, revisions, kind: pick.kind, model: paths.model, mmproj: paths.mmproj,
          bytes: await totalBytes(paths.files) });
      }
    }
  }
  return out;
}
