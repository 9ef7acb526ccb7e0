import cliProgress from "cli-progress";
import type { DownloadProgress } from "../node/hub-download.js";

const mb = (n: number) => (n / 1e6).toFixed(1);

/**
 * Shows Hub downloads on stderr: a byte bar per file on a terminal, one line per file otherwise
 * (logs stay readable). Files already in the cache report nothing.
 */
export function downloadProgress(): { onProgress: DownloadProgress; stop(): void } {
  const tty = process.stderr.isTTY;
  let current: string | undefined;
  let bar: cliProgress.SingleBar | undefined;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  const onProgress: DownloadProgress = (path, done, total) => {
    if (path !== current) {
      stop();
      current = path;
      if (!tty) {
        process.stderr.write(`downloading ${path} (${total >= 0 ? `${mb(total)} MB` : "size unknown"}${done > 0 ? `, resuming at ${mb(done)} MB` : ""})\n`);
        return;
      }
      bar = new cliProgress.SingleBar(
        { format: `downloading ${path} [{bar}] {percentage}% {doneMb}/{totalMb} MB`, stream: process.stderr, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(Math.max(total, 1), done, { doneMb: mb(done), totalMb: mb(total) });
    }
    bar?.update(done, { doneMb: mb(done), totalMb: mb(total) });
  };
  return { onProgress, stop };
}
