import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import { UserError } from "../errors.js";
import type { ByteSink } from "../io/byte-sink.js";

function describe(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? String(e);
}

/**
 * A ByteSink writing to `<path>.partial`, renamed to `path` on close, so a crash or error never
 * leaves a half-written file under the real name; on abort the partial file is removed.
 */
export async function fileSink(path: string): Promise<ByteSink> {
  const partial = `${path}.partial`;
  let handle: FileHandle | undefined;
  try {
    handle = await open(partial, "w");
  } catch (e) {
    const code = describe(e);
    if (code === "ENOENT") throw new UserError("missing", `${path}: cannot create the file (no such directory)`);
    throw new UserError("bad_argument", `${path}: cannot create the file (${code})`);
  }
  let fh: FileHandle | undefined = handle;
  let done = false;

  async function discard(): Promise<void> {
    const h = fh;
    fh = undefined;
    done = true;
    await h?.close().catch(() => undefined);
    await unlink(partial).catch(() => undefined);
  }

  return {
    name: path,
    async write(chunk) {
      if (!fh) throw new Error(`${path}: write after ${done ? "close" : "abort"}`);
      let off = 0;
      while (off < chunk.byteLength) {
        try {
          const { bytesWritten } = await fh.write(chunk, off, chunk.byteLength - off);
          off += bytesWritten;
        } catch (e) {
          await discard();
          throw new UserError("bad_file", `${path}: write failed (${describe(e)})`, { cause: e });
        }
      }
    },
    async close() {
      if (!fh) throw new Error(`${path}: closed twice or after abort`);
      const h = fh;
      fh = undefined;
      done = true;
      try {
        await h.close();
        await rename(partial, path);
      } catch (e) {
        await unlink(partial).catch(() => undefined);
        throw new UserError("bad_file", `${path}: could not finish the file (${describe(e)})`, { cause: e });
      }
    },
    async abort() {
      await discard();
    },
  };
}
