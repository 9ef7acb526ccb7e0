/** What `pocketvlm web` tells its page at /config.json (shared by the server and the page). */
export interface ServedFile {
  /** Path on the server, e.g. /models/model/shapesworld-llm.gguf. */
  readonly url: string;
  readonly name: string;
  readonly size: number;
}

export interface WebConfig {
  /** The model pair the page loads on open; null when the server has none (the user picks files). */
  readonly model: { readonly llm: ServedFile; readonly mmproj: ServedFile } | null;
  /** Why there is no model, shown on the page. */
  readonly note?: string;
  /** Whether the server sends the cross-origin isolation headers. */
  readonly isolation: boolean;
  /** The Hugging Face Hub (or mirror) that `hf:owner/name` model names typed into the page refer to. */
  readonly hubUrl?: string;
}
