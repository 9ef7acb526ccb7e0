/** Where the Hub is and how to talk to it; the defaults follow huggingface_hub's environment variables. */
export interface HubEndpoint {
  /** Base URL, e.g. https://huggingface.co (HF_ENDPOINT). */
  readonly url: string;
  /** Access token for gated or private repos (HF_TOKEN). */
  readonly token?: string;
  /** The fetch to use (tests, proxies). */
  readonly fetch?: typeof fetch;
  /** A download that receives nothing for this long is dropped, to be resumed (default 60 s). */
  readonly stallMs?: number;
}

export const DEFAULT_HUB_URL = "https://huggingface.co";

export function authHeaders(endpoint: HubEndpoint): Record<string, string> {
  return endpoint.token ? { authorization: `Bearer ${endpoint.token}` } : {};
}

/** URL of a file of `repo` at `revision` (the Hub redirects large files to its CDN). */
export function resolveUrl(endpoint: HubEndpoint, repo: string, revision: string, path: string): string {
  const file = path.split("/").map(encodeURIComponent).join("/");
  return `${endpoint.url.replace(/\/+$/, "")}/${repo}/resolve/${encodeURIComponent(revision)}/${file}`;
}
