import { UserError } from "../../errors.js";
import type { ByteSource } from "../../io/byte-source.js";
import { readSafetensors, type SafetensorsTensor } from "../safetensors/reader.js";
import { HfConfig } from "./config.js";
import { readJSON, type FolderReader } from "./folder.js";

export type { FolderReader } from "./folder.js";

/** A checkpoint given as loose files instead of a folder (e.g. one safetensors plus a config). */
export interface HfFileSet {
  readonly name: string;
  /** The parsed config.json. */
  readonly config: unknown;
  /** One or more safetensors files; tensor names must not repeat across them. */
  readonly weights: readonly ByteSource[];
}

export interface HfTensor extends SafetensorsTensor {
  readonly source: ByteSource;
}

/** The authors' checkpoint as found: config, every tensor under the authors' names, the file list. */
export interface HfCheckpoint {
  readonly name: string;
  /** Every file of the folder (the tokenizer files are read elsewhere). */
  readonly files: readonly string[];
  readonly folder?: FolderReader;
  readonly config: HfConfig;
  readonly tensors: ReadonlyMap<string, HfTensor>;
  /** Closes the weight files. */
  close(): Promise<void>;
}

const INDEX = "model.safetensors.index.json";
const SINGLE = "model.safetensors";

async function weightFiles(folder: FolderReader, files: readonly string[]): Promise<string[]> {
  if (files.includes(INDEX)) {
    const index = await readJSON(folder, INDEX);
    const map = (index as { weight_map?: unknown } | null)?.weight_map;
    if (typeof map !== "object" || map === null || Object.values(map).some((f) => typeof f !== "string")) {
      throw new UserError("bad_file", `${folder.name}/${INDEX}: "weight_map" should map tensor names to file names`);
    }
    const shards = [...new Set(Object.values(map as Record<string, string>))].sort();
    for (const s of shards) {
      if (!files.includes(s)) throw new UserError("missing", `${folder.name}: shard "${s}" named in ${INDEX} is missing`);
    }
    return shards;
  }
  if (files.includes(SINGLE)) return [SINGLE];
  const any = files.filter((f) => f.endsWith(".safetensors"));
  if (any.length > 0) return any;
  const hint = files.some((f) => f.endsWith(".bin") || f.endsWith(".pt")) ? " (PyTorch pickles are not supported: convert them to safetensors)" : "";
  throw new UserError("missing", `${folder.name}: no ${SINGLE} or ${INDEX}${hint}`);
}

async function indexTensors(name: string, sources: readonly ByteSource[]): Promise<Map<string, HfTensor>> {
  const tensors = new Map<string, HfTensor>();
  for (const source of sources) {
    const st = await readSafetensors(source);
    for (const t of st.tensors) {
      if (tensors.has(t.name)) throw new UserError("bad_file", `${name}: tensor "${t.name}" appears in more than one weight file`);
      tensors.set(t.name, { ...t, source });
    }
  }
  return tensors;
}

/** Opens an authors' Hugging Face checkpoint: config.json plus model.safetensors or its shards. */
export async function openHfCheckpoint(input: FolderReader | HfFileSet): Promise<HfCheckpoint> {
  if (!("list" in input)) {
    const tensors = await indexTensors(input.name, input.weights);
    return {
      name: input.name,
      files: input.weights.map((w) => w.name),
      config: HfConfig.of(`${input.name} config`, input.config),
      tensors,
      close: async () => { await Promise.all(input.weights.map((w) => w.close?.())); },
    };
  }
  const folder = input;
  const files = await folder.list();
  if (!files.includes("config.json")) throw new UserError("missing", `${folder.name}: no config.json (is this a Hugging Face model folder?)`);
  const config = HfConfig.of(`${folder.name}/config.json`, await readJSON(folder, "config.json"));
  const sources: ByteSource[] = [];
  try {
    for (const f of await weightFiles(folder, files)) sources.push(await folder.open(f));
    const tensors = await indexTensors(folder.name, sources);
    return { name: folder.name, files, folder, config, tensors, close: async () => { await Promise.all(sources.map((s) => s.close?.())); } };
  } catch (e) {
    await Promise.all(sources.map((s) => s.close?.()));
    throw e;
  }
}
