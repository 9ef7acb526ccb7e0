import cliProgress from "cli-progress";
import type { BackendChoice } from "../node/load-llm.js";
import { openVlm, type OpenedVlm } from "../node/open-vlm.js";
import type { DownloadProgress } from "../node/hub-download.js";
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

/**
 * Progress while a model opens: Hub downloads first (download-progress.ts), then the load bar;
 * `hub` goes to the Hub options, `update` to the loader, `stop` when opening ends either way.
 */
export function openProgress(): { hub: { onProgress: DownloadProgress }; update(stage: string, fraction: number): void; stop(): void } {
  const load = loadProgress("loading");
  const download = downloadProgress();
  return {
    hub: { onProgress: download.onProgress },
    update(stage, fraction) {
      download.stop();
      load.update(stage, fraction);
    },
    stop() {
      download.stop();
      load.stop();
    },
  };
}

/** The model a command names (or the built-in one), opened with download and load-progress bars. */
export async function openVlmWithProgress(f: { model?: string; mmproj?: string; backend: BackendChoice; threads?: string }): Promise<OpenedVlm> {
  const progress = openProgress();
  return openVlm({
    model: f.model, mmproj: f.mmproj, backend: f.backend, threads: positiveInt("--threads", f.threads),
    hub: progress.hub, onProgress: (stage, x) => progress.update(stage, x),
  }).finally(() => progress.stop());
}
