/** The same chat measured in Node (openVlm, WebAssembly backend), the peer of the browser run. */
import type { ContentPart } from "../../src/multimodal/messages.js";
import { decodeImageFile } from "../../src/node/image-decode.js";
import { openVlm } from "../../src/node/open-vlm.js";
import type { GenerationResult } from "../../src/runtime/generation.js";

export async function nodeRun(args: { model: string; mmproj: string; image: string; question: string; maxTokens: number; threads?: number }): Promise<{ result: GenerationResult; loadMs: number; threads: number }> {
  const t0 = performance.now();
  const vlm = await openVlm({ model: args.model, mmproj: args.mmproj, backend: "wasm", threads: args.threads });
  const loadMs = performance.now() - t0;
  try {
    const image = await decodeImageFile(args.image);
    const content: ContentPart[] = [{ type: "image", image }, { type: "text", text: args.question }];
    const it = vlm.chat([{ role: "user", content }], { maxTokens: args.maxTokens, sampling: { temperature: 0 }, ignoreEos: true });
    for (let r = await it.next(); ; r = await it.next()) {
      if (r.done) return { result: r.value, loadMs, threads: (vlm.backend as { threads?: number }).threads ?? 1 };
    }
  } finally {
    await vlm.dispose();
  }
}
