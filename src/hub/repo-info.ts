import { UserError } from "../errors.js";
import { authHeaders, type HubEndpoint } from "./hub-endpoint.js";

/** One file of a repo at a commit. */
export interface HubFile {
  readonly path: string;
  readonly size: number;
  /** SHA-256 of the content (files kept in Git LFS / Xet: the weights). */
  readonly sha256?: string;
  /** Git blob id (SHA-1 of "blob <size>\0" + content); for small files the only hash the Hub gives. */
  readonly blobId?: string;
}

export interface HubRepoInfo {
  readonly repo: string;
  /** The commit the revision pointed at. */
  readonly commit: string;
  readonly files: readonly HubFile[];
}

/** The name huggingface_hub's cache stores a file's content under: its SHA-256 when in LFS, else its git blob id. */
export function blobName(file: HubFile): string {
  const name = file.sha256 ?? file.blobId;
  if (!name) throw new UserError("bad_file", `the Hub gave no hash for ${file.path}`);
  return name;
}

interface Sibling {
  rfilename?: unknown;
  size?: unknown;
  blobId?: unknown;
  lfs?: { sha256?: unknown; size?: unknown } | null;
}

/** A relative path that stays inside the snapshot folder. */
const safePath = (p: string) => p !== "" && !p.startsWith("/") && !p.includes("\\") && !p.includes("\0") && p.split("/").every((seg) => seg !== "" && seg !== "." && seg !== "..");

const INFO_TIMEOUT_MS = 30_000;

const HEX = (n: number) => new RegExp(`^[0-9a-f]{${n}}$`);

/**
 * Asks the Hub which commit `revision` of `repo` is and which files it holds, with sizes and hashes
 * (GET /api/models/{repo}/revision/{revision}?blobs=true, as huggingface_hub's model_info does).
 * Throws a UserError that says what to do when the repo is missing, gated or the Hub unreachable.
 */
export async function fetchRepoInfo(endpoint: HubEndpoint, repo: string, revision: string, signal?: AbortSignal): Promise<HubRepoInfo> {
  const url = `${endpoint.url.replace(/\/+$/, "")}/api/models/${repo}/revision/${encodeURIComponent(revision)}?blobs=true`;
  let res: Response;
  try {
    // A Hub that does not answer within the timeout counts as unreachable (the cache may still answer).
    const limit = AbortSignal.timeout(INFO_TIMEOUT_MS);
    res = await (endpoint.fetch ?? fetch)(url, { headers: { accept: "application/json", ...authHeaders(endpoint) }, signal: signal ? AbortSignal.any([signal, limit]) : limit });
  } catch (e) {
    if (signal?.aborted) throw new UserError("aborted", `${repo}: cancelled`, { cause: e });
    throw new HubUnreachable(`cannot reach ${endpoint.url} (${(e as Error).message})`, { cause: e });
  }
  if (res.status === 401 || res.status === 403) {
    throw new UserError("missing", `${repo}: access denied by ${endpoint.url} (HTTP ${res.status}); a gated or private repo needs a token in HF_TOKEN`);
  }
  if (res.status === 404) throw new UserError("missing", `${repo}@${revision}: no such model repo or revision on ${endpoint.url}`);
  if (!res.ok) throw new HubUnreachable(`${endpoint.url} answered HTTP ${res.status} for ${repo}@${revision}`);
  const body = (await res.json().catch(() => null)) as { sha?: unknown; siblings?: unknown } | null;
  if (!body || typeof body.sha !== "string" || !HEX(40).test(body.sha) || !Array.isArray(body.siblings)) {
    throw new UserError("bad_file", `${endpoint.url} returned unreadable model info for ${repo}@${revision}`);
  }
  const files = (body.siblings as Sibling[]).flatMap((s): HubFile[] => {
    if (typeof s.rfilename !== "string") return [];
    if (!safePath(s.rfilename)) throw new UserError("bad_file", `${endpoint.url} listed an unsafe file name for ${repo}: ${JSON.stringify(s.rfilename)}`);
    const sha256 = typeof s.lfs?.sha256 === "string" && HEX(64).test(s.lfs.sha256) ? s.lfs.sha256 : undefined;
    const size = typeof s.lfs?.size === "number" ? s.lfs.size : typeof s.size === "number" ? s.size : -1;
    const blobId = typeof s.blobId === "string" && HEX(40).test(s.blobId) ? s.blobId : undefined;
    return [{ path: s.rfilename, size, sha256, blobId }];
  });
  return { repo, commit: body.sha, files };
}

/** The Hub could not be asked (network down, server error): callers may fall back to the local cache. */
export class HubUnreachable extends UserError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("missing", message, options);
    this.name = "HubUnreachable";
  }
}
