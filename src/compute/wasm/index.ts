export { WasmBackend, createWasmBackend, type WasmBackendOptions } from "./wasm-backend.js";
export { runKernelWorker, type WorkerEndpoint } from "./worker-loop.js";
export { relaxedSimdSupported } from "./relaxed-simd.js";
export type { KernelBinaries, KernelBinary, WasmPlatform, WorkerHandle, WorkerPort } from "./ports.js";
export { webWorkerPort } from "./web-port.js";
