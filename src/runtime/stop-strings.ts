/**
 * Streams text while watching for stop strings: text that might be the start of a stop string is held
 * back until it is known not to be one, so a caller never sees part of a stop string.
 */
export class StopStringFilter {
  private pending = "";
  private stopped = false;

  constructor(private readonly stops: readonly string[]) {}

  get done(): boolean { return this.stopped; }

  /** Adds text; returns what is safe to emit now. After a stop string is found, `done` is true. */
  push(text: string): string {
    if (this.stopped) return "";
    this.pending += text;
    let cut = -1;
    for (const s of this.stops) {
      if (!s) continue;
      const i = this.pending.indexOf(s);
      if (i >= 0 && (cut < 0 || i < cut)) cut = i;
    }
    if (cut >= 0) {
      this.stopped = true;
      const out = this.pending.slice(0, cut);
      this.pending = "";
      return out;
    }
    // hold back the longest suffix that is a prefix of some stop string
    let hold = 0;
    for (const s of this.stops) {
      for (let k = Math.min(s.length - 1, this.pending.length); k > hold; k--) {
        if (this.pending.endsWith(s.slice(0, k))) { hold = k; break; }
      }
    }
    const out = this.pending.slice(0, this.pending.length - hold);
    this.pending = this.pending.slice(this.pending.length - hold);
    return out;
  }

  /** Whatever is still held back once generation ends without a stop string. */
  flush(): string {
    const out = this.stopped ? "" : this.pending;
    this.pending = "";
    return out;
  }
}
