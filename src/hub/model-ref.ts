import { UserError } from "../errors.js";

/** A model named on the Hugging Face Hub: `hf:owner/name[@revision][:quant]` (also `hf.co/…`, as Ollama writes it). */
export interface HubModelRef {
  readonly repo: string;
  readonly revision: string;
  /** Which GGUF quantization to take from a repo that holds several (e.g. "Q4_K_M"); absent: the default choice. */
  readonly quant?: string;
}

const PREFIXES = ["hf:", "hf.co/", "huggingface.co/", "https://huggingface.co/"];
const REPO = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Whether a --model value names a Hub repo rather than a local path. */
export function isHubModelRef(model: string): boolean {
  return PREFIXES.some((p) => model.startsWith(p));
}

/** Parses `hf:owner/name[@revision][:quant]`; a bare `owner/name` is accepted too (the `pull` command's argument). */
export function parseHubModelRef(text: string): HubModelRef {
  let rest = text;
  for (const p of PREFIXES) if (rest.startsWith(p)) { rest = rest.slice(p.length); break; }
  let quant: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon >= 0) {
    quant = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  let revision = "main";
  const at = rest.indexOf("@");
  if (at >= 0) {
    revision = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  if (!REPO.test(rest) || rest.includes("..") || revision === "" || quant === "") {
    throw new UserError("bad_argument", `"${text}" is not a Hub model: write hf:owner/name, optionally @revision and :QUANT (e.g. hf:openbmb/MiniCPM-V-4_5-gguf:Q4_K_M)`);
  }
  return { repo: rest, revision, quant };
}

/** `owner/name[@revision][:quant]` (the revision only when it is not main): how a Hub model is named to users. */
export function formatHubModelRef(ref: HubModelRef): string {
  return `${ref.repo}${ref.revision !== "main" ? `@${ref.revision}` : ""}${ref.quant ? `:${ref.quant}` : ""}`;
}
