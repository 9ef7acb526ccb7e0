/**
 * A vision projector for a language model of another width: the fixture mmproj's tiny vision tower
 * with its resampler rebuilt at width `dim` (random weights). Lets the browser benchmark pair the
 * synthetic MiniCPM-V-4.0-sized LLMs of `npm run bench` with a projector, so a full-size decode is
 * measured through the same page and engine as any model.
 */
import { existsSync } from "node:fs";
import { readGGUF } from "../../src/formats/gguf/reader.js";
import { quantize } from "../../src/formats/gguf/quantize.js";
import { GGMLType } from "../../src/formats/gguf/ggml-types.js";
import { ggufEntries, writeGGUF, type GGUFWriteTensor } from "../../src/formats/gguf/writer.js";
import { fileSink } from "../../src/node/file-sink.js";
import { fileSource } from "../../src/node/file-source.js";

const FIXTURE = "test/fixtures/llamacpp/minicpmv-4.5/mmproj-f16.gguf";

/** Writes `out` (once): the fixture projector with every resampler dimension equal to its width set to `dim`. */
export async function widenMmproj(dim: number, out: string): Promise<string> {
  if (existsSync(out)) return out;
  const src = await fileSource(FIXTURE);
  try {
    const file = await readGGUF(src);
    const width = file.tensors.find((t) => t.name === "resampler.proj.weight")!.dims[0];
    let seed = 1;
    const random = (n: number, scale: number) => {
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        a[i] = ((seed / 2 ** 32) * 2 - 1) * scale;
      }
      return a;
    };
    const tensors: GGUFWriteTensor[] = [];
    for (const t of file.tensors) {
      if (!t.name.startsWith("resampler.")) {
        tensors.push({ name: t.name, dims: t.dims, type: t.type, data: await src.read(t.offset, t.byteLength) });
        continue;
      }
      const dims = t.dims.map((d) => (d === width ? dim : d));
      const n = dims.reduce((a, b) => a * b, 1);
      const isNormWeight = /ln_\w+\.weight$/.test(t.name);
      const values = isNormWeight ? new Float32Array(n).fill(1) : random(n, 0.05);
      const type = t.type === GGMLType.F32 || t.type === GGMLType.F16 ? t.type : GGMLType.F32;
      tensors.push({ name: t.name, dims, type, data: quantize(type, values) });
    }
    const sink = await fileSink(out);
    await writeGGUF(sink, { metadata: ggufEntries(file.metadata), tensors });
    return out;
  } finally {
    await src.close?.();
  }
}
