/**
 * Child-process entry of one vision measurement:
 *   node --import tsx bench/vision/child.ts '<VisionRequest JSON>'
 * Prints the result as one stdout line `RESULT_MARK + JSON` (progress on stderr), then exits even if
 * a backend left worker threads behind.
 */
import { measureVision, RESULT_MARK, type VisionRequest } from "./measure.js";

function send(result: unknown, code: number): void {
  process.stdout.write(`${RESULT_MARK}${JSON.stringify(result)}\n`, () => process.exit(code));
}

try {
  const req = JSON.parse(process.argv[2] ?? "") as VisionRequest;
  send(await measureVision(req), 0);
} catch (e) {
  send({ ok: false, error: e instanceof Error ? e.stack ?? e.message : String(e) }, 1);
}
