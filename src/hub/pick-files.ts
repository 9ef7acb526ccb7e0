import { UserError } from "../errors.js";

/** What a model repo is opened from: a GGUF pair, or the authors' folder (the files it needs). */
export type ModelFiles =
  | { readonly kind: "gguf"; readonly llm: string; readonly mmproj?: string }
  | { readonly kind: "folder"; readonly files: readonly string[] };

/** Quantizations tried, in order, when a GGUF repo holds several and none is asked for (llama.cpp's -hf default first). */
const PREFERRED_QUANTS = ["Q4_K_M", "Q4_0", "Q5_K_M", "Q8_0", "Q6_K", "F16", "BF16", "F32"];

/** Files an authors' folder does not need: code, docs, pictures and weights in formats other than safetensors. */
const FOLDER_SKIP = /(\.(py|md|png|jpe?g|gif|webp|mp4|pdf|bin|pt|pth|ckpt|h5|msgpack|onnx|ot|gguf)|^\.gitattributes|\/\.gitattributes)$/i;

const base = (path: string) => path.slice(path.lastIndexOf("/") + 1);
const stem = (path: string) => base(path).replace(/\.gguf$/i, "");
export const isMmproj = (path: string): boolean => /mmproj/i.test(base(path));
export const isGguf = (path: string): boolean => /\.gguf$/i.test(path);
const isSplit = (path: string) => /-\d{5}-of-\d{5}\.gguf$/i.test(path);

/** The files whose names end with the quant (`…-Q4_K_M.gguf`), else contain it as a whole token. */
function byQuant(paths: readonly string[], quant: string): string[] {
  const q = quant.toLowerCase();
  const ends = paths.filter((p) => stem(p).toLowerCase().endsWith(q) && /(^|[-_.])$/.test(stem(p).slice(0, -q.length)));
  if (ends.length > 0) return ends;
  return paths.filter((p) => new RegExp(`(^|[-_.])${q.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}($|[-_.])`, "i").test(stem(p)));
}

function pickOne(what: string, repo: string, candidates: readonly string[], quant: string | undefined, all: readonly string[]): string {
  const list = `; it holds: ${all.map(base).join(", ")}`;
  if (quant !== undefined) {
    const hit = byQuant(candidates, quant);
    if (hit.length === 1) return hit[0];
    if (hit.length === 0) throw new UserError("missing", `${repo}: no ${what} file for quant ${quant}${list}`);
    throw new UserError("bad_argument", `${repo}: quant ${quant} matches several ${what} files (${hit.map(base).join(", ")})`);
  }
  if (candidates.length === 1) return candidates[0];
  for (const q of PREFERRED_QUANTS) {
    const hit = byQuant(candidates, q);
    if (hit.length === 1) return hit[0];
  }
  throw new UserError("bad_argument", `${repo}: holds several ${what} files; name one with :QUANT (e.g. hf:${repo}:Q4_K_M)${list}`);
}

/** Several projectors: F16 (what llama.cpp's converters write), else the one of the asked quant. */
function pickMmproj(repo: string, mmprojs: readonly string[], quant: string | undefined): string {
  for (const q of ["f16", ...(quant ? [quant] : [])]) {
    const hit = byQuant(mmprojs, q);
    if (hit.length === 1) return hit[0];
  }
  throw new UserError("bad_argument", `${repo}: holds several mmproj files (${mmprojs.map(base).join(", ")}) and none is F16; download the one you want and pass --mmproj`);
}

/**
 * Chooses the files to open a MiniCPM-V model from a repo listing: a repo with GGUF files gives its
 * LLM (by `quant`, or the preferred quantization) and its mmproj (F16 first when there are several);
 * a repo without GGUF files is an authors' folder (config.json, safetensors, tokenizer files).
 */
export function pickModelFiles(repo: string, paths: readonly string[], quant?: string): ModelFiles {
  const ggufs = paths.filter(isGguf);
  if (ggufs.length > 0) {
    const llms = ggufs.filter((p) => !isMmproj(p));
    const mmprojs = ggufs.filter(isMmproj);
    if (llms.length === 0) throw new UserError("missing", `${repo}: holds only vision projector GGUFs (${mmprojs.map(base).join(", ")})`);
    const llm = pickOne("language-model GGUF", repo, llms, quant, ggufs);
    if (isSplit(llm)) throw new UserError("unsupported", `${repo}: ${base(llm)} is one part of a split GGUF; merge the parts with llama-gguf-split --merge first`);
    const mmproj = mmprojs.length <= 1 ? mmprojs[0] : pickMmproj(repo, mmprojs, quant);
    return { kind: "gguf", llm, mmproj };
  }
  if (quant !== undefined) throw new UserError("bad_argument", `${repo}: holds no GGUF files, so :${quant} names nothing`);
  if (!paths.includes("config.json")) throw new UserError("missing", `${repo}: neither GGUF files nor a config.json; not a model repo this can open`);
  if (!paths.some((p) => p.endsWith(".safetensors"))) throw new UserError("unsupported", `${repo}: has no safetensors weights (only PyTorch .bin files are not supported)`);
  return { kind: "folder", files: paths.filter((p) => !FOLDER_SKIP.test(p)) };
}
