import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../errors.js";
import { DEFAULT_HUB_URL, type HubEndpoint } from "../hub/hub-endpoint.js";
import { isHubModelRef, parseHubModelRef, type HubModelRef } from "../hub/model-ref.js";
import { isGguf, pickModelFiles, type ModelFiles } from "../hub/pick-files.js";
import { fetchRepoInfo, HubUnreachable } from "../hub/repo-info.js";
import { cachedCommit, hfHome, hubCacheDir, isCommit, snapshotFiles, snapshotFolder, writeRef } from "./hub-cache.js";
import { downloadToCache, type DownloadProgress } from "./hub-download.js";

export interface HubOptions {
  /** Hub base URL; default HF_ENDPOINT, else https://huggingface.co. */
  readonly endpoint?: string;
  /** Access token; default HF_TOKEN, else the token `hf auth login` saved. */
  readonly token?: string;
  /** Cache folder; default HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
  readonly cacheDir?: string;
  /** Also fetch a GGUF repo's projector (default true; false when --mmproj names another one). */
  readonly projector?: boolean;
  /** Only the cache, never the network; default HF_HUB_OFFLINE. */
  readonly offline?: boolean;
  readonly fetch?: typeof fetch;
  /** Drop (to resume later) a download that receives nothing for this long; default 60 s. */
  readonly stallMs?: number;
  readonly onProgress?: DownloadProgress;
  readonly signal?: AbortSignal;
}

/** Local paths of a Hub model, ready for openVlm / openLanguageModel. */
export interface HubModelPaths {
  /** The LLM GGUF, or the snapshot folder of an authors' repo. */
  readonly model: string;
  readonly mmproj?: string;
  readonly commit: string;
  /** Every file of the model, in the cache. */
  readonly files: readonly string[];
  /** True when the Hub was not asked (offline) or could not be reached and the cache answered. */
  readonly fromCache: boolean;
}

async function savedToken(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return (await readFile(join(hfHome(env), "token"), "utf8").catch(() => "")).trim() || undefined;
}

async function endpointOf(opts: HubOptions, env: NodeJS.ProcessEnv): Promise<HubEndpoint> {
  return {
    url: opts.endpoint ?? env.HF_ENDPOINT ?? DEFAULT_HUB_URL,
    token: opts.token ?? env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN ?? (await savedToken(env)),
    fetch: opts.fetch,
    stallMs: opts.stallMs,
  };
}

/** A pick's local paths in a snapshot folder. */
export function pathsOf(pick: ModelFiles, folder: string): { model: string; mmproj?: string; files: string[] } {
  if (pick.kind === "folder") return { model: folder, files: pick.files.map((f) => join(folder, f)) };
  const model = join(folder, pick.llm);
  const mmproj = pick.mmproj === undefined ? undefined : join(folder, pick.mmproj);
  return { model, mmproj, files: mmproj ? [model, mmproj] : [model] };
}

async function fromCache(ref: HubModelRef, cache: string, why: string): Promise<HubModelPaths> {
  const commit = await cachedCommit(cache, ref.repo, ref.revision);
  const present = commit ? await snapshotFiles(cache, ref.repo, commit) : [];
  if (!commit || present.length === 0) {
    throw new UserError("missing", `${ref.repo}@${ref.revision} is not in the cache ${cache} and ${why}`);
  }
  const pick = pickModelFiles(ref.repo, present, ref.quant);
  const folder = snapshotFolder(cache, ref.repo, commit);
  const missing = await missingShards(pick, present, folder);
  if (missing.length > 0) {
    throw new UserError("missing", `${ref.repo}@${ref.revision}: the cached snapshot lacks ${missing.join(", ")} (an interrupted download) and ${why}`);
  }
  return { ...pathsOf(pick, folder), commit, fromCache: true };
}

/** Safetensors shards an authors' folder's index names that the snapshot does not hold. */
async function missingShards(pick: ModelFiles, present: readonly string[], folder: string): Promise<string[]> {
  const index = "model.safetensors.index.json";
  if (pick.kind !== "folder" || !present.includes(index)) return [];
  const map = (JSON.parse(await readFile(join(folder, index), "utf8")) as { weight_map?: Record<string, string> }).weight_map ?? {};
  return [...new Set(Object.values(map))].filter((f) => !present.includes(f)).sort();
}

/**
 * Finds a Hub model in the local cache, downloading what is missing: asks the Hub which commit the
 * revision is and which files it holds, picks the model's files (pick-files.ts) and fetches each
 * into the cache (hub-download.ts). Offline, or when the Hub cannot be reached, the cached snapshot
 * of the revision answers instead.
 */
export async function resolveHubModel(ref: HubModelRef, opts: HubOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<HubModelPaths> {
  const cache = opts.cacheDir ?? hubCacheDir(env);
  const offline = opts.offline ?? ["1", "true", "yes", "on"].includes((env.HF_HUB_OFFLINE ?? "").toLowerCase());
  if (offline) return fromCache(ref, cache, "offline mode (HF_HUB_OFFLINE) forbids downloading it");
  // A commit never changes: if its snapshot in the cache already holds the model (both halves of a
  // GGUF pair, every shard of a folder), the Hub is not asked.
  if (isCommit(ref.revision)) {
    const cached = await fromCache(ref, cache, "").catch(() => undefined);
    if (cached && (cached.mmproj !== undefined || !isGguf(cached.model))) return cached;
  }
  const endpoint = await endpointOf(opts, env);
  let info;
  try {
    info = await fetchRepoInfo(endpoint, ref.repo, ref.revision, opts.signal);
  } catch (e) {
    if (e instanceof HubUnreachable) return fromCache(ref, cache, e.message);
    throw e;
  }
  const listed = pickModelFiles(ref.repo, info.files.map((f) => f.path), ref.quant);
  const pick = listed.kind === "gguf" && opts.projector === false ? { ...listed, mmproj: undefined } : listed;
  const wanted = new Set(pick.kind === "folder" ? pick.files : [pick.llm, ...(pick.mmproj ? [pick.mmproj] : [])]);
  for (const file of info.files.filter((f) => wanted.has(f.path))) {
    await downloadToCache(endpoint, cache, ref.repo, info.commit, file, opts.onProgress, opts.signal);
  }
  await writeRef(cache, ref.repo, ref.revision, info.commit);
  return { ...pathsOf(pick, snapshotFolder(cache, ref.repo, info.commit)), commit: info.commit, fromCache: false };
}

/**
 * A --model / --mmproj pair as given: a Hub reference (`hf:owner/name[@revision][:QUANT]`) in either
 * becomes cached local paths (downloaded if needed); local paths pass through. An explicit --mmproj wins
 * over the repo's own projector.
 */
export async function localModelPaths(model: string | undefined, mmproj: string | undefined, hub: HubOptions = {}): Promise<{ model?: string; mmproj?: string }> {
  let m = model;
  let p = mmproj;
  if (m !== undefined && isHubModelRef(m)) {
    const r = await resolveHubModel(parseHubModelRef(m), { ...hub, projector: p === undefined });
    m = r.model;
    p ??= r.mmproj;
  }
  if (p !== undefined && isHubModelRef(p)) {
    const r = await resolveHubModel(parseHubModelRef(p), hub);
    p = r.mmproj ?? r.model;
  }
  return { model: m, mmproj: p };
}

/** A single-GGUF --model (generate, logits, tokenize): a Hub reference gives its language-model GGUF. */
export async function localGgufPath(model: string, hub: HubOptions = {}): Promise<string> {
  if (!isHubModelRef(model)) return model;
  const r = await resolveHubModel(parseHubModelRef(model), hub);
  if (!isGguf(r.model)) {
    throw new UserError("unsupported", `${model} is an authors' folder; this command reads a GGUF language model (use a -gguf repo)`);
  }
  return r.model;
}
