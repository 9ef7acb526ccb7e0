/** The model the browser tests run: the built-in one when it is there, else the tiny fixture pair. */
import { existsSync } from "node:fs";
import type { ContentPart } from "../../src/multimodal/messages.js";
import { decodeImageFile } from "../../src/node/image-decode.js";
import { openVlm } from "../../src/node/open-vlm.js";

const BUILTIN = { model: "models/shapesworld/shapesworld-llm.gguf", mmproj: "models/shapesworld/shapesworld-mmproj.gguf" };
const FIXTURE = "test/fixtures/llamacpp/minicpmv-4.5";

export interface TestCase {
  readonly model: string;
  readonly mmproj: string;
  readonly image: string;
  readonly question: string;
  readonly maxTokens: number;
  readonly builtin: boolean;
}

/** The random-weight fixture pair: it never stops by itself, so it serves tests of long answers. */
export function fixtureCase(): TestCase {
  return { model: `${FIXTURE}/llm-f16.gguf`, mmproj: `${FIXTURE}/mmproj-f16.gguf`, image: `${FIXTURE}/images/img_640x488.png`, question: "What is in the image?", maxTokens: 24, builtin: false };
}

export function testCase(): TestCase {
  if (existsSync(BUILTIN.model) && existsSync(BUILTIN.mmproj)) {
    const image = existsSync("examples/scene.png") ? "examples/scene.png" : `${FIXTURE}/images/img_640x488.png`;
    return { ...BUILTIN, image, question: "How many red circles are there?", maxTokens: 32, builtin: true };
  }
  return fixtureCase();
}

export interface NodeAnswer {
  readonly text: string;
  readonly tokens: readonly number[];
  /** Crops per image, as the preprocessing cut them. */
  readonly crops: number;
  readonly tokensPerSecond: number;
}

/** What the Node engine answers for the same model, image, question and greedy settings. */
export async function nodeAnswer(tc: TestCase): Promise<NodeAnswer> {
  const vlm = await openVlm({ model: tc.model, mmproj: tc.mmproj });
  try {
    const image = await decodeImageFile(tc.image);
    const content: ContentPart[] = [{ type: "image", image }, { type: "text", text: tc.question }];
    const it = vlm.chat([{ role: "user", content }], { maxTokens: tc.maxTokens, sampling: { temperature: 0 } });
    let text = "";
    for (let r = await it.next(); ; r = await it.next()) {
      if (r.done) {
        const res = r.value;
        return {
          text, tokens: res.tokens, crops: vlm.lastImages.reduce((n, p) => n + p.crops.length, 0),
          tokensPerSecond: res.tokens.length / Math.max(res.decodeMs / 1000, 1e-9),
        };
      }
      text += r.value.text;
    }
  } finally {
    await vlm.dispose();
  }
}
