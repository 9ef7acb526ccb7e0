/** Shared helpers of the LLM tests: fixture paths, golden references, model loading. */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { JsBackend } from "../../src/compute/js/js-backend.js";
import { readGGUF } from "../../src/formats/gguf/reader.js";
import { modelSourceFromGGUF } from "../../src/models/model-source.js";
import { loadLanguageModel } from "../../src/models/llm/load.js";
import type { LanguageModel } from "../../src/models/llm/language-model.js";
import { fileSource } from "../../src/node/file-source.js";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "llamacpp");
export const VERSIONS = ["4.5", "2.5", "2.6", "4.0"] as const;

export function fixtureDir(version: string): string {
  return join(FIXTURES, `minicpmv-${version}`);
}

interface BinRef { file: string; shape: number[] }
export interface TextLogitsItem {
  name: string;
  logits: BinRef;
  hidden?: BinRef;
  dequant_f32_reference?: { logits: BinRef };
}
export interface Golden {
  model: { arch: string; n_vocab: number; llm: { n_embd: number; n_layer: number } };
  text_logits: { tokens: number[]; items: TextLogitsItem[] };
}

export function golden(version: string): Golden {
  return JSON.parse(readFileSync(join(fixtureDir(version), "golden.json"), "utf8")) as Golden;
}

export function readBin(version: string, ref: BinRef): Float32Array {
  const b = readFileSync(join(fixtureDir(version), ref.file));
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  const n = ref.shape.reduce((a, c) => a * c, 1);
  if (out.length !== n) throw new Error(`${ref.file}: ${out.length} floats, expected ${n}`);
  return out;
}

export async function loadModel(version: string, file = "llm-f16.gguf"): Promise<LanguageModel> {
  const bytes = await fileSource(join(fixtureDir(version), file));
  try {
    return await loadLanguageModel(modelSourceFromGGUF(await readGGUF(bytes)), new JsBackend());
  } finally {
    await bytes.close?.();
  }
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

export function argmax(a: Float32Array, from = 0, n = a.length - from): number {
  let best = from;
  for (let i = from + 1; i < from + n; i++) if (a[i] > a[best]) best = i;
  return best - from;
}
