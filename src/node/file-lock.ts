import { open, rm, stat, utimes } from "node:fs/promises";

export interface LockOptions {
  /** A lock not refreshed for this long belongs to a process that died: it is taken over. */
  readonly staleMs?: number;
  readonly pollMs?: number;
  /** Called once when the lock is held by someone else and this call starts waiting. */
  readonly onWait?: () => void;
  readonly signal?: AbortSignal;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `fn` while holding an exclusive lock file that other processes see (created with O_EXCL, its
 * mtime refreshed while held, removed after). Two processes fetching the same file take turns
 * instead of writing into one another's partial download.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const staleMs = opts.staleMs ?? 30_000;
  let waiting = false;
  for (;;) {
    opts.signal?.throwIfAborted();
    try {
      await (await open(path, "wx")).close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const held = await stat(path).catch(() => undefined);
    if (held === undefined) continue;
    if (Date.now() - held.mtimeMs > staleMs) {
      await rm(path, { force: true });
      continue;
    }
    if (!waiting) opts.onWait?.();
    waiting = true;
    await sleep(opts.pollMs ?? 500);
  }
  const refresh = setInterval(() => {
    const now = new Date();
    void utimes(path, now, now).catch(() => {});
  }, staleMs / 3);
  refresh.unref();
  try {
    return await fn();
  } finally {
    clearInterval(refresh);
    await rm(path, { force: true });
  }
}
