import { open } from "node:fs/promises";
import { UserError } from "../errors.js";
import type { ByteSource } from "../io/byte-source.js";

/** Opens a local file as a ByteSource (Node only: lives in the interfaces-side `node/` folder). */
export async function fileSource(path: string): Promise<ByteSource> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UserError("missing", `${path}: no such file`);
    if (code === "EISDIR") throw new UserError("bad_argument", `${path}: is a directory, expected a file`);
    throw new UserError("bad_file", `${path}: cannot open (${code ?? String(e)})`);
  }
  const { size } = await handle.stat();
  const fh = handle;
  return {
    name: path,
    size,
    async read(offset, length, into) {
      if (offset < 0 || length < 0 || offset + length > size) {
        throw new RangeError(`${path}: read of ${length} bytes at ${offset} is past the end (${size} bytes)`);
      }
      const target = into ? into.subarray(0, length) : new Uint8Array(length);
      let done = 0;
      while (done < length) {
        // fs reads are capped near 2 GiB per call
        const chunk = Math.min(length - done, 1 << 30);
        const { bytesRead } = await fh.read(target, done, chunk, offset + done);
        if (bytesRead === 0) throw new UserError("bad_file", `${path}: unexpected end of file at ${offset + done}`);
        done += bytesRead;
      }
      return target;
    },
    async close() {
      await fh.close();
    },
  };
}
