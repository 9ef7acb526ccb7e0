/** The same questions answered in-process by the library (no server): what the served answers must equal. */
import { decodeImage } from "../../src/node/image-decode.js";
import { openVlm } from "../../src/node/open-vlm.js";
import type { BackendChoice } from "../../src/node/load-llm.js";
import { generateAll } from "../../src/runtime/generation.js";
import type { ImageQuestion } from "./image-requests.js";

export async function libraryAnswers(
  model: { model?: string; mmproj?: string; backend: BackendChoice; threads?: number },
  questions: readonly ImageQuestion[], maxTokens: number,
): Promise<string[]> {
  const vlm = await openVlm(model);
  try {
    const out: string[] = [];
    for (const q of questions) {
      const image = await decodeImage(q.png);
      const layout = await vlm.prompt([{ role: "user", content: [{ type: "image", image }, { type: "text", text: q.qa.question }] }]);
      const r = await generateAll(vlm.llm, vlm.llm.newCache(), layout.segments, vlm.tokenizer, { maxTokens, sampling: { temperature: 0 } });
      out.push(r.text);
    }
    return out;
  } finally {
    await vlm.dispose();
  }
}
