/**
 * The language model of the vision benchmark: the LLM benchmark's random-weight MiniCPM-V 4.0-size
 * model (bench/synth-model.ts, generated through that module if missing), copied tensor for tensor into
 * a second file whose vocabulary also holds MiniCPM-V's image tokens. llama.cpp's mtmd looks `<image>`,
 * `</image>`, `<slice>`, `</slice>` up in the vocabulary and fails on a model without them ("invalid
 * token -1"), and llama-mtmd-cli wants a chat template in the file. So a few filler tokens of the
 * synthetic tokenizer become those tokens (and ChatML's, as control tokens), and the ChatML template
 * both sides render the same way is added. Weights, dimensions and file size stay the same.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { BUILTIN_TEMPLATES } from "../../src/formats/chat-template/builtin.js";
import { readGGUF } from "../../src/formats/gguf/reader.js";
import { GGUFValueType as T, type GGUFArray } from "../../src/formats/gguf/types.js";
import { ggufEntries, writeGGUF, type GGUFWriteEntry, type GGUFWriteTensor } from "../../src/formats/gguf/writer.js";
import { fileSink } from "../../src/node/file-sink.js";
import { fileSource } from "../../src/node/file-source.js";
import type { BenchModelSpec, BenchTypeName } from "../model-spec.js";
import { ensureSyntheticModel } from "../synth-model.js";
import { SPEC_KEY } from "./synth-mmproj.js";
import type { SyntheticFile } from "./synth-mmproj.js";

const GENERATOR_VERSION = 1;
const CHUNK_BYTES = 8 << 20;

/** MiniCPM-V's prompt tokens (the image layout's and ChatML's), control tokens of the vocabulary. */
export const VLM_TOKENS = ["<unk>", "<image>", "</image>", "<slice>", "</slice>", "<image_id>", "</image_id>", "<|im_start|>", "<|im_end|>"] as const;

export function vlmLlmPath(cacheDir: string, spec: BenchModelSpec, typeName: BenchTypeName): string {
  return join(cacheDir, `${spec.id}-random-${typeName}-vlm.gguf`);
}

function specString(baseSpec: string): string {
  return JSON.stringify({ generator: GENERATOR_VERSION, kind: "vlm-llm", base: baseSpec, tokens: VLM_TOKENS });
}

async function isValidCached(path: string, want: string, tensors: number): Promise<boolean> {
  try {
    await stat(path);
  } catch {
    return false;
  }
  const src = await fileSource(path);
  try {
    const g = await readGGUF(src);
    if (g.metadata.get(SPEC_KEY)?.value !== want || g.tensors.length !== tensors) return false;
    const end = Math.max(...g.tensors.map((t) => t.offset + Math.ceil(t.byteLength / g.alignment) * g.alignment));
    return end === src.size;
  } catch {
    return false;
  } finally {
    await src.close?.();
  }
}

/** The LLM benchmark's model for (spec, type) with MiniCPM-V's tokens, written once into `cacheDir`. */
export async function ensureVlmLlm(
  cacheDir: string, spec: BenchModelSpec, typeName: BenchTypeName, log: (line: string) => void = () => {},
): Promise<SyntheticFile & { base: string }> {
  const t0 = performance.now();
  const base = await ensureSyntheticModel(cacheDir, spec, typeName, log);
  if (!base.reused) log(`  wrote the LLM benchmark's ${base.path} (${(base.bytes / 1e9).toFixed(2)} GB)`);
  const path = vlmLlmPath(cacheDir, spec, typeName);
  const src = await fileSource(base.path);
  try {
    const g = await readGGUF(src);
    const baseSpec = String(g.metadata.get(SPEC_KEY)?.value ?? "");
    const want = specString(baseSpec);
    if (await isValidCached(path, want, g.tensors.length)) {
      return { path, base: base.path, bytes: (await stat(path)).size, reused: true, seconds: (performance.now() - t0) / 1000 };
    }
    const entries: GGUFWriteEntry[] = ggufEntries(g.metadata).filter((e) => e.key !== SPEC_KEY && e.key !== "tokenizer.chat_template");
    const tokensEntry = entries.find((e) => e.key === "tokenizer.ggml.tokens");
    const typesEntry = entries.find((e) => e.key === "tokenizer.ggml.token_type");
    if (!tokensEntry || !typesEntry) throw new Error(`${base.path}: no tokenizer.ggml.tokens / token_type`);
    const tokens = [...(tokensEntry.value as GGUFArray).items] as string[];
    const types = [...(typesEntry.value as GGUFArray).items] as number[];
    const fillers = tokens.map((t, i) => (t.startsWith("[filler") ? i : -1)).filter((i) => i >= 0);
    if (fillers.length < VLM_TOKENS.length) throw new Error(`${base.path}: only ${fillers.length} filler tokens to replace`);
    const slots = fillers.slice(-VLM_TOKENS.length);
    VLM_TOKENS.forEach((tok, k) => {
      tokens[slots[k]] = tok;
      types[slots[k]] = 3; // CONTROL
    });
    const replaced = entries.map((e) => {
      if (e.key === "tokenizer.ggml.tokens") return { ...e, value: { itemType: T.STRING, items: tokens } };
      if (e.key === "tokenizer.ggml.token_type") return { ...e, value: { itemType: T.INT32, items: types } };
      if (e.key === "general.name") return { ...e, value: `${String(e.value)} + MiniCPM-V tokens` };
      return e;
    });
    replaced.push(
      { key: "tokenizer.chat_template", type: T.STRING, value: BUILTIN_TEMPLATES.chatml },
      { key: SPEC_KEY, type: T.STRING, value: want },
    );
    log(`  writing ${path} (the LLM benchmark's weights, vocabulary with MiniCPM-V's image tokens)`);
    const tensors: GGUFWriteTensor[] = g.tensors.map((t) => ({
      name: t.name,
      dims: t.dims,
      type: t.type,
      data: async () => (async function* () {
        const buf = new Uint8Array(Math.min(CHUNK_BYTES, t.byteLength));
        for (let o = 0; o < t.byteLength; o += buf.byteLength) {
          const n = Math.min(buf.byteLength, t.byteLength - o);
          yield await src.read(t.offset + o, n, buf.subarray(0, n));
        }
      })(),
    }));
    const bytes = await writeGGUF(await fileSink(path), { metadata: replaced, tensors, alignment: g.alignment });
    return { path, base: base.path, bytes, reused: false, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await src.close?.();
  }
}
