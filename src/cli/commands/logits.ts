import { rename, rm, writeFile } from "node:fs/promises";
import { Option, type Command } from "commander";
import { UserError } from "../../errors.js";
import { openLanguageModel, type BackendChoice } from "../../node/load-llm.js";

interface LogitsFlags {
  model: string;
  tokens: string;
  out: string;
  backend: BackendChoice;
  threads?: string;
}

/** Writes `data` to `path` through a temporary file and a rename, so no half-written file is left behind. */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}-${Date.now().toString(36)}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    const code = (e as NodeJS.ErrnoException).code;
    if (code) throw new UserError("bad_argument", `${path}: cannot write (${code})`, { cause: e });
    throw e;
  }
}

/** Little-endian bytes of a Float32Array (a view when the host is little-endian). */
export function float32LE(a: Float32Array): Uint8Array {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (new Uint8Array(Uint16Array.of(1).buffer)[0] === 1) return bytes;
  const out = new Uint8Array(a.byteLength);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) dv.setFloat32(i * 4, a[i], true);
  return out;
}

function parseTokens(s: string): number[] {
  const parts = s.split(",").map((p) => p.trim());
  if (parts.length === 0 || parts.every((p) => p === "")) throw new UserError("bad_argument", "--tokens: no token ids given");
  return parts.map((p, i) => {
    if (!/^\d+$/.test(p)) throw new UserError("bad_argument", `--tokens: "${p}" (item ${i + 1}) is not a token id`);
    return Number(p);
  });
}

function parseThreads(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s) || Number(s) < 1) throw new UserError("bad_argument", `--threads: "${s}" should be a positive integer`);
  return Number(s);
}

/** `pocketvlm logits`: one forward over a token sequence, all positions' logits to a float32 file. */
export function registerLogits(program: Command): void {
  program
    .command("logits")
    .description("run the language model over token ids at positions 0..n-1 and write the logits of every position (float32 LE, [n_tokens, n_vocab])")
    .requiredOption("--model <file>", "GGUF language model file, or a Hub repo: hf:owner/name[@revision][:QUANT]")
    .requiredOption("--tokens <ids>", "comma-separated token ids, e.g. 1,2,3")
    .requiredOption("--out <file>", "output file")
    .addOption(new Option("--backend <name>", "compute backend").choices(["auto", "js", "wasm"]).default("auto"))
    .option("--threads <n>", "worker threads (WebAssembly backend)")
    .action(async (flags: LogitsFlags) => {
      const ids = parseTokens(flags.tokens);
      const threads = parseThreads(flags.threads);
      const t0 = performance.now();
      const model = await openLanguageModel(flags.model, { backend: flags.backend, threads });
      try {
        const t1 = performance.now();
        const r = model.forward({ kind: "tokens", ids }, model.newCache(Math.max(ids.length, 1)), { logits: "all" });
        const t2 = performance.now();
        const logits = r.logits!;
        const nVocab = model.config.nVocab;
        await writeFileAtomic(flags.out, float32LE(logits));
        let best = 0;
        const last = (ids.length - 1) * nVocab;
        for (let i = 1; i < nVocab; i++) if (logits[last + i] > logits[last + best]) best = i;
        console.log(JSON.stringify({
          out: flags.out, model: flags.model, arch: model.config.arch, backend: model.backend.name, threads: model.backend.threads,
          shape: [ids.length, nVocab], dtype: "float32", argmax_last: best,
          load_ms: Math.round(t1 - t0), forward_ms: Math.round(t2 - t1),
        }));
      } finally {
        await model.dispose();
      }
    });
}
