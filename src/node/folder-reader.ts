import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../errors.js";
import type { FolderReader } from "../formats/hf/folder.js";
import { fileSource } from "./file-source.js";

/** A local directory as a FolderReader (its top-level files; HF checkpoints are flat). */
export async function folderReader(path: string): Promise<FolderReader> {
  let isDir = false;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UserError("missing", `${path}: no such folder`);
    throw new UserError("bad_argument", `${path}: cannot read (${code ?? String(e)})`);
  }
  if (!isDir) throw new UserError("bad_argument", `${path}: is a file, expected a model folder`);
  return {
    name: path,
    async list() {
      const entries = await readdir(path, { withFileTypes: true });
      return entries.filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => e.name).sort();
    },
    async open(file) {
      if (file === "" || file.includes("/") || file.includes("\\") || file === "." || file === "..") {
        throw new UserError("bad_argument", `${path}: "${file}" is not a file name inside the folder`);
      }
      return fileSource(join(path, file));
    },
  };
}
