import { UserError } from "../../errors.js";
import { blobSource, bytesSource, type ByteSource } from "../../io/byte-source.js";

/**
 * The folder port: a checkpoint directory as a flat list of file names and a way to open each one.
 * Node implements it over a directory (src/node/folder-reader.ts); a browser over dropped files.
 */
export interface FolderReader {
  /** Shown in messages (a path, a repo id). */
  readonly name: string;
  /** File names (relative, `/`-separated), sorted. */
  list(): Promise<string[]>;
  open(file: string): Promise<ByteSource>;
}

function mapFolder<T>(name: string, files: ReadonlyMap<string, T>, toSource: (file: string, v: T) => ByteSource): FolderReader {
  return {
    name,
    async list() {
      return [...files.keys()].sort();
    },
    async open(file) {
      const v = files.get(file);
      if (v === undefined) throw new UserError("missing", `${name}: no file "${file}"`);
      return toSource(`${name}/${file}`, v);
    },
  };
}

/** A folder held in memory (tests, generated checkpoints). */
export function memoryFolder(name: string, files: Readonly<Record<string, Uint8Array>>): FolderReader {
  return mapFolder(name, new Map(Object.entries(files)), (n, b) => bytesSource(n, b));
}

/** A folder of Blobs, e.g. the files of a directory picked in a browser. */
export function blobFolder(name: string, files: ReadonlyMap<string, Blob>): FolderReader {
  return mapFolder(name, files, (n, b) => blobSource(n, b));
}

/** Reads a whole (small) file of the folder as text. */
export async function readText(folder: FolderReader, file: string): Promise<string> {
  const src = await folder.open(file);
  try {
    return new TextDecoder().decode(await src.read(0, src.size));
  } finally {
    await src.close?.();
  }
}

/** Reads and parses a JSON file of the folder, with errors naming it. */
export async function readJSON(folder: FolderReader, file: string): Promise<unknown> {
  const text = await readText(folder, file);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError("bad_file", `${folder.name}/${file}: not valid JSON (${(e as Error).message})`);
  }
}
