import { UserError } from "../../errors.js";
import type { KernelBinary, WasmPlatform } from "./ports.js";

/**
 * The platform used when the caller passes none: under Node, src/node/wasm-platform.ts (loaded by a
 * computed specifier, so browser bundles never pull it in); elsewhere the caller must pass kernels.
 */
export async function defaultPlatform(): Promise<WasmPlatform> {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (proc?.versions?.node) {
    const spec = "../../node/wasm-platform.js";
    const mod = (await import(spec)) as { nodeWasmPlatform(): WasmPlatform };
    return mod.nodeWasmPlatform();
  }
  throw new UserError("unsupported", "the WebAssembly backend needs { kernels, workerPort } outside Node");
}

export async function compileKernels(bin: KernelBinary | (() => Promise<KernelBinary>)): Promise<WebAssembly.Module> {
  const b = typeof bin === "function" ? await bin() : bin;
  return b instanceof WebAssembly.Module ? b : WebAssembly.compile(b);
}
