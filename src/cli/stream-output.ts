import type { GenerationResult, GenerationStep } from "../runtime/generation.js";

/**
 * Runs a generation to its end: text deltas go to stdout as they come (unless `quiet`, e.g. --json),
 * then a newline; a timing line goes to stderr on a terminal. Returns the result.
 */
export async function streamToStdout(it: AsyncGenerator<GenerationStep, GenerationResult, void>, quiet: boolean): Promise<GenerationResult> {
  for (;;) {
    const r = await it.next();
    if (r.done) {
      const res = r.value;
      if (!quiet) {
        process.stdout.write("\n");
        const tps = res.tokens.length / Math.max(res.decodeMs / 1000, 1e-9);
        if (process.stderr.isTTY) process.stderr.write(`[${res.promptRows} prompt rows in ${(res.prefillMs / 1000).toFixed(2)} s, ${res.tokens.length} tokens at ${tps.toFixed(1)} tok/s]\n`);
      }
      return res;
    }
    if (!quiet) process.stdout.write(r.value.text);
  }
}
