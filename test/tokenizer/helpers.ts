import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { GGUFMetadata, readGGUF } from "../../src/formats/gguf/reader.js";
import { bytesSource } from "../../src/io/byte-source.js";
import { Tokenizer } from "../../src/formats/tokenizer/index.js";

export const FIXTURES = new URL("../fixtures/llamacpp/", import.meta.url);

export async function loadMetadata(rel: string): Promise<GGUFMetadata> {
  let bytes: Uint8Array = readFileSync(new URL(rel, FIXTURES));
  if (rel.endsWith(".gz")) bytes = gunzipSync(bytes);
  return GGUFMetadata.of(await readGGUF(bytesSource(rel, bytes)));
}

const tokenizers = new Map<string, Promise<Tokenizer>>();

/** One tokenizer per file for the whole test process (the real vocabularies take a while to build). */
export function loadTokenizer(rel: string): Promise<Tokenizer> {
  let t = tokenizers.get(rel);
  if (!t) {
    t = loadMetadata(rel).then((m) => Tokenizer.fromMetadata(m));
    tokenizers.set(rel, t);
  }
  return t;
}

export function readGolden(dir: string): any {
  return JSON.parse(readFileSync(new URL(`${dir}/golden.json`, FIXTURES), "utf8"));
}

export const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** A golden string: {"text": ...} or {"hex": ...}, as bytes in hex. */
export function goldenHex(v: { text?: string; hex?: string }): string {
  return v.hex ?? Buffer.from(v.text!, "utf8").toString("hex");
}
