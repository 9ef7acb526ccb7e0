import { readdir, readFile, mkdir, writeFile, rename } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * huggingface_hub's cache layout, shared with it (a model fetched by `hf download` is found here and
 * the other way round): models--owner--name/{blobs/<sha256 or git blob id>, snapshots/<commit>/<path>
 * (links to the blobs), refs/<revision> (the commit a branch pointed at when last fetched)}.
 */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HF_HUB_CACHE || join(hfHome(env), "hub");
}

/** huggingface_hub's home folder (its cache and saved token live here): HF_HOME, else ~/.cache/huggingface. */
export function hfHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "huggingface");
}

export const repoFolder = (cache: string, repo: string): string => join(cache, `models--${repo.split("/").join("--")}`);
export const snapshotFolder = (cache: string, repo: string, commit: string): string => join(repoFolder(cache, repo), "snapshots", commit);
export const blobPath = (cache: string, repo: string, blob: string): string => join(repoFolder(cache, repo), "blobs", blob);

const COMMIT = /^[0-9a-f]{40}$/;

/** Whether a revision is a full commit hash (which, unlike a branch, never moves). */
export const isCommit = (revision: string): boolean => COMMIT.test(revision);

/** The commit a revision names in the cache (a commit hash names itself), or undefined if never fetched. */
export async function cachedCommit(cache: string, repo: string, revision: string): Promise<string | undefined> {
  if (isCommit(revision)) return revision;
  try {
    const commit = (await readFile(join(repoFolder(cache, repo), "refs", revision), "utf8")).trim();
    return COMMIT.test(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

/** Records which commit a branch or tag pointed at (atomically: a reader never sees half a hash). */
export async function writeRef(cache: string, repo: string, revision: string, commit: string): Promise<void> {
  if (isCommit(revision)) return;
  const path = join(repoFolder(cache, repo), "refs", revision);
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(`${path}.tmp`, commit);
  await rename(`${path}.tmp`, path);
}

/** Paths (relative, "/"-separated) of the files a cached snapshot holds. */
export async function snapshotFiles(cache: string, repo: string, commit: string): Promise<string[]> {
  const root = snapshotFolder(cache, repo, commit);
  try {
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile() || e.isSymbolicLink())
      .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(root.length + 1).split("\\").join("/"))
      .sort();
  } catch {
    return [];
  }
}
