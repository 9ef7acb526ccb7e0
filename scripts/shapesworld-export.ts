/**
 * Export ShapesWorld samples as PNGs + JSONL.
 *   node --import tsx scripts/shapesworld-export.ts --split test --count 500 --out /tmp/sw [--start 0] [--clips 0] [--no-images] [--rounds 1]
 */
import { exportSplit } from "../src/node/shapesworld-export.js";
import type { Split } from "../src/datasets/shapesworld/splits.js";

function arg(name: string, dflt?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  if (dflt === undefined) throw new Error(`missing --${name}`);
  return dflt;
}

const split = arg("split", "train") as Split;
if (!["train", "validation", "test"].includes(split)) throw new Error(`--split must be train, validation or test`);
const t0 = Date.now();
const rows = await exportSplit({
  split,
  count: Number(arg("count", "100")),
  start: Number(arg("start", "0")),
  clips: Number(arg("clips", "0")),
  outDir: arg("out"),
  skipImages: process.argv.includes("--no-images"),
  questionRounds: Number(arg("rounds", "1")),
  onProgress: (d, n) => { if (d % 500 === 0 || d === n) process.stderr.write(`\r${d}/${n}`); },
});
process.stderr.write(`\n${rows} question rows written to ${arg("out")}/${split}.jsonl in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
