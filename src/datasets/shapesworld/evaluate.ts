/**
 * Runs ShapesWorld questions through a MiniCPM-V model and scores them per question type. Each image's
 * questions share one chat session, so the image rows are prefilled once per image.
 */
import type { MiniCPMV } from "../../multimodal/vlm.js";
import type { QA } from "./questions.js";
import type { RgbImage } from "./raster.js";
import { isCorrect } from "./score.js";
import { renderScene } from "./render.js";
import type { CoordinateDecoding } from "../../runtime/coordinates.js";
import type { ImageSample } from "./splits.js";

export interface EvalRecord {
  readonly id: string;
  readonly type: string;
  readonly question: string;
  readonly expected: string;
  readonly answer: string;
  readonly correct: boolean;
  /** The scene's canvas [width, height] (above 448² the authors' slicing cuts it into several crops). */
  readonly image: readonly [number, number];
}

export interface EvalReport {
  readonly total: { readonly n: number; readonly correct: number; readonly accuracy: number };
  readonly byType: Record<string, { n: number; correct: number; accuracy: number }>;
  readonly records: EvalRecord[];
  readonly seconds: number;
}

export interface EvalOptions {
  readonly maxTokens?: number;
  /** How `<point>` / `<box>` numbers are decoded (runtime/coordinates; default "median"). */
  readonly coordinates?: CoordinateDecoding;
  /** Called after each question with (done, total). */
  readonly onProgress?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
  /**
   * Answers some questions another way (e.g. point questions by attention-driven grounding): a string
   * is the answer, null leaves the question to the model's generation.
   */
  readonly answerWith?: (qa: QA, image: RgbImage) => Promise<string | null>;
}

export async function evaluateSamples(vlm: MiniCPMV, samples: readonly ImageSample[], opts: EvalOptions = {}): Promise<EvalReport> {
  const t0 = performance.now();
  const records: EvalRecord[] = [];
  const total = samples.reduce((s, x) => s + x.qa.length, 0);
  for (const sample of samples) {
    const image = renderScene(sample.scene);
    const session = vlm.session();
    for (const qa of sample.qa) {
      if (opts.signal?.aborted) break;
      let answer = (await opts.answerWith?.(qa, image)) ?? null;
      if (answer === null) {
        const it = session.send(
          [{ role: "user", content: [{ type: "image", image }, { type: "text", text: qa.question }] }],
          { maxTokens: opts.maxTokens ?? 32, sampling: { temperature: 0 }, coordinates: opts.coordinates, signal: opts.signal },
        );
        let r = await it.next();
        while (!r.done) r = await it.next();
        answer = r.value.text.trim();
      }
      records.push({
        id: sample.id, type: qa.type, question: qa.question, expected: qa.answer, answer, correct: isCorrect(qa, answer),
        image: [sample.scene.width, sample.scene.height],
      });
      opts.onProgress?.(records.length, total);
    }
  }
  const byType: EvalReport["byType"] = {};
  for (const r of records) {
    const t = (byType[r.type] ??= { n: 0, correct: 0, accuracy: 0 });
    t.n++;
    if (r.correct) t.correct++;
  }
  for (const t of Object.values(byType)) t.accuracy = t.n ? t.correct / t.n : 0;
  const correct = records.filter((r) => r.correct).length;
  return {
    total: { n: records.length, correct, accuracy: records.length ? correct / records.length : 0 },
    byType,
    records,
    seconds: (performance.now() - t0) / 1000,
  };
}
