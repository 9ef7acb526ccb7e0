import type { Backend } from "../compute/backend.js";
import { JsBackend } from "../compute/js/js-backend.js";
import { createWasmBackend } from "../compute/wasm/index.js";
import { UserError } from "../errors.js";
import { ensureSharedArrayBuffer } from "./shared-array-buffer.js";
import { browserWasmPlatform, type BrowserPlatformOptions } from "./wasm-platform.js";

export interface BrowserBackendOptions extends BrowserPlatformOptions {
  /** Threads incl. the calling one (default: all cores when cross-origin isolated, else 1). */
  readonly threads?: number;
  /** Bytes per WebAssembly memory (default 4 GiB of address space; smaller on 32-bit devices). */
  readonly memoryBytes?: number;
}

/**
 * The compute backend for a page or worker: the WebAssembly kernels, on Web Workers when the page is
 * cross-origin isolated and on the calling thread otherwise; the JavaScript reference backend where the
 * engine refuses shared WebAssembly memory altogether.
 */
export async function createBrowserBackend(opts: BrowserBackendOptions = {}): Promise<Backend> {
  if (opts.threads !== undefined && !(Number.isInteger(opts.threads) && opts.threads > 0)) {
    throw new UserError("bad_argument", `threads ${opts.threads} should be a positive integer`);
  }
  if (!ensureSharedArrayBuffer()) return new JsBackend();
  const platform = browserWasmPlatform(opts);
  const threads = platform.workerPort ? (opts.threads ?? platform.defaultThreads) : 1;
  return createWasmBackend({ kernels: platform.kernels, workerPort: platform.workerPort, threads, memoryBytes: opts.memoryBytes });
}
