import cliProgress from "cli-progress";

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
