import { Option, type Command } from "commander";
import cliProgress from "cli-progress";
import { generateSplit, type QA, type RgbImage, type Split } from "../../datasets/shapesworld/index.js";
import { evaluateSamples } from "../../datasets/shapesworld/evaluate.js";
import { groundByAttention } from "../../grounding/ground.js";
import { pointTo1000 } from "../../grounding/report.js";
import type { OpenedVlm } from "../../node/open-vlm.js";
import { coordinatesOption, positiveInt, MMPROJ_OPTION, MODEL_OPTION } from "../options.js";
import type { CoordinateDecoding } from "../../runtime/coordinates.js";
import { openVlmWithProgress } from "../progress.js";
import type { BackendChoice } from "../../node/load-llm.js";
import { fileSink } from "../../node/file-sink.js";

interface EvalFlags {
  split: Split;
  count: string;
  start: string;
  json?: boolean;
  model?: string;
  mmproj?: string;
  backend: BackendChoice;
  threads?: string;
  maxTokens: string;
  points: "generate" | "tag";
  coordinates: CoordinateDecoding;
  topHeads?: string;
  answers?: string;
}

/** Point questions answered by TAG: the phrase after "Point to the", located from attention, as MiniCPM-V's `<point>`. */
function tagPoint(vlm: OpenedVlm, topHeads: number | undefined) {
  return async (qa: QA, image: RgbImage): Promise<string | null> => {
    const target = qa.type === "point" ? /^Point to the (.+)\.$/.exec(qa.question)?.[1] : undefined;
    if (!target) return null;
    const r = await groundByAttention(vlm, image, target, { question: qa.question, topHeads });
    if (!r.point) return "";
    return `<point>${pointTo1000(r.point, image.width, image.height).join(" ")}</point>`;
  };
}

/** `pocketvlm eval`: accuracy per question type on a ShapesWorld split. */
export function registerEval(program: Command): void {
  program
    .command("eval")
    .description("answer a ShapesWorld split's questions with the model (greedy) and print accuracy per question type")
    .addOption(new Option("--split <name>", "which split").choices(["train", "validation", "test"]).default("test"))
    .option("--count <n>", "number of scenes (each has several questions)", "100")
    .option("--start <n>", "index of the first scene", "0")
    .option("--json", "print one JSON object instead of a table")
    .option(...MODEL_OPTION)
    .option(...MMPROJ_OPTION)
    .addOption(new Option("--backend <name>", "compute backend").choices(["auto", "js", "wasm"]).default("auto"))
    .option("--threads <n>", "worker threads")
    .option("-n, --max-tokens <n>", "most tokens per answer", "32")
    .addOption(new Option("--points <method>", "how point questions are answered: the model's generated <point>, or TAG (attention-driven grounding)").choices(["generate", "tag"]).default("generate"))
    .addOption(coordinatesOption())
    .option("--top-heads <n>", "with --points tag: (layer, head) pairs kept per target token (default 10)")
    .option("--answers <file>", "also write every question (id, type, question, expected, answer, correct, canvas size) as JSON Lines")
    .action(async (f: EvalFlags) => {
      const count = positiveInt("--count", f.count)!;
      const start = Number(f.start);
      const samples = generateSplit(f.split, count, Number.isInteger(start) && start >= 0 ? start : 0);
      // opened first, so a bad path fails before the run; written whole at the end (never half-written)
      const answers = f.answers ? await fileSink(f.answers) : undefined;
      let vlm: OpenedVlm;
      try {
        vlm = await openVlmWithProgress(f);
      } catch (e) {
        await answers?.abort?.();
        throw e;
      }
      const bar = process.stderr.isTTY
        ? new cliProgress.SingleBar({ format: "eval [{bar}] {value}/{total} questions, {eta_formatted} left", stream: process.stderr, clearOnComplete: true }, cliProgress.Presets.shades_classic)
        : undefined;
      try {
        let started = false;
        const report = await evaluateSamples(vlm, samples, {
          maxTokens: positiveInt("--max-tokens", f.maxTokens),
          coordinates: f.coordinates,
          answerWith: f.points === "tag" ? tagPoint(vlm, positiveInt("--top-heads", f.topHeads)) : undefined,
          onProgress: (done, total) => {
            if (!bar) return;
            if (!started) { bar.start(total, 0); started = true; }
            bar.update(done);
          },
        });
        bar?.stop();
        if (answers) {
          await answers.write(new TextEncoder().encode(report.records.map((r) => JSON.stringify(r) + "\n").join("")));
          await answers.close();
        }
        if (f.json) {
          const { records, ...summary } = report;
          process.stdout.write(JSON.stringify({ split: f.split, scenes: count, ...summary, errors: records.filter((r) => !r.correct).slice(0, 20) }) + "\n");
        } else {
          const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
          const rows = Object.entries(report.byType).sort(([a], [b]) => a.localeCompare(b));
          console.log(`ShapesWorld ${f.split} split, ${count} scenes, ${report.total.n} questions, ${report.seconds.toFixed(1)} s`);
          console.log("| type | questions | correct | accuracy |\n|---|---|---|---|");
          for (const [t, r] of rows) console.log(`| ${t} | ${r.n} | ${r.correct} | ${pct(r.accuracy)} |`);
          console.log(`| **overall** | ${report.total.n} | ${report.total.correct} | ${pct(report.total.accuracy)} |`);
        }
      } catch (e) {
        await answers?.abort?.();
        throw e;
      } finally {
        bar?.stop();
        await vlm.dispose();
      }
    });
}
