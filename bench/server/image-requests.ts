/** Image questions for the load test: ShapesWorld test-split scenes as PNG data URIs, with the expected answers. */
import { generateSample, renderScene, type QA } from "../../src/datasets/shapesworld/index.js";
import { dataUri, rgbPng } from "./png.js";

export interface ImageQuestion {
  readonly id: string;
  readonly qa: QA;
  readonly png: Buffer;
  readonly body: Record<string, unknown>;
}

/** `count` distinct scenes (test split, from `start`), one question each, cycling through the question types. */
export async function imageQuestions(count: number, maxTokens: number, start = 0): Promise<ImageQuestion[]> {
  const out: ImageQuestion[] = [];
  for (let i = 0; i < count; i++) {
    const s = generateSample("test", start + i);
    const qa = s.qa[i % s.qa.length];
    const img = renderScene(s.scene);
    const png = await rgbPng(img.data, img.width, img.height);
    out.push({
      id: s.id, qa, png,
      body: {
        model: "default", temperature: 0, max_tokens: maxTokens,
        messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: dataUri(png) } }, { type: "text", text: qa.question }] }],
      },
    });
  }
  return out;
}
