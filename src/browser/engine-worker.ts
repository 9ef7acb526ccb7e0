/// <reference lib="webworker" />
import { EngineHost } from "./engine-host.js";
import type { FromEngine, ToEngine } from "./protocol.js";

// Entry of the engine worker (bundled to engine-worker.js): the model runs here, off the page's main
// thread; kernel workers are spawned from here. The page talks to it through client.ts.
const scope = self as unknown as DedicatedWorkerGlobalScope;
const host = new EngineHost((m: FromEngine) => scope.postMessage(m));
scope.addEventListener("message", (e: MessageEvent<ToEngine>) => host.receive(e.data));
