import { UserError } from "../errors.js";
import { resolveUrl, type HubEndpoint } from "./hub-endpoint.js";
import type { HubModelRef } from "./model-ref.js";
import { pickModelFiles } from "./pick-files.js";
import { fetchRepoInfo } from "./repo-info.js";

/**
 * The download URLs of a Hub GGUF pair, pinned to the commit the revision names now (so both halves
 * come from the same commit): for pages, which fetch (and cache) by URL themselves.
 */
export async function hubGgufUrls(ref: HubModelRef, endpoint: HubEndpoint, signal?: AbortSignal): Promise<{ model: string; mmproj?: string; commit: string }> {
  const info = await fetchRepoInfo(endpoint, ref.repo, ref.revision, signal);
  const pick = pickModelFiles(ref.repo, info.files.map((f) => f.path), ref.quant);
  if (pick.kind !== "gguf") throw new UserError("unsupported", `${ref.repo}: an authors' folder; a page loads GGUF pairs (use a -gguf repo)`);
  return {
    model: resolveUrl(endpoint, ref.repo, info.commit, pick.llm),
    mmproj: pick.mmproj === undefined ? undefined : resolveUrl(endpoint, ref.repo, info.commit, pick.mmproj),
    commit: info.commit,
  };
}
