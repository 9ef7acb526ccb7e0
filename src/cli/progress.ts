import cliProgress from "cli-progress";
import type { BackendChoice } from "../node/load-llm.js";
import { openVlm, type OpenedVlm } from "../node/open-vlm.js";
import { downloadProgress } from "./download-progress.js";
import { positiveInt } from "./options.js";

/**
 * A load-progress bar on stderr (only when stderr is a terminal, so logs and pipes stay clean).
 * `update(stage, fraction)` may be called with several stages in turn.
 */
export function loadProgress(label: string): { update(stage: string, fraction: number): void; stop(): void } {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { format: `${label} {stage} [{bar}] {percentage}%`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(stage, fraction) {
      if (!started) { bar.start(100, 0, { stage }); started = true; }
      bar.update(Math.round(fraction * 100), { stage });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** The model a command names (or the built-in one), opened with a load-progress bar. */
export async function openVlmWithProgress(f: { model?: string; mmproj?: string; backend: BackendChoice; threads?: string }): Promise<OpenedVlm> {
  const progress = loadProgress("loading");
  const download = downloadProgress();
  return openVlm({
    model: f.model, mmproj: f.mmproj, backend: f.backend, threads: positiveInt("--threads", f.threads),
    hub: { onProgress: download.onProgress },
    onProgress: (stage, x) => {
      download.stop();
      progress.update(stage, x);
    },
  }).finally(() => {
    download.stop();
    progress.stop();
  });
}
