import { Option, type Command } from "commander";
import { groundByAttention } from "../../grounding/ground.js";
import { groundingJson } from "../../grounding/report.js";
import { decodeImageFile } from "../../node/image-decode.js";
import { positiveInt, positiveNumber, MMPROJ_OPTION, MODEL_OPTION } from "../options.js";
import { openVlmWithProgress } from "../progress.js";

interface GroundFlags {
  image: string;
  question?: string;
  model?: string;
  mmproj?: string;
  topHeads?: string;
  threshold?: string;
  maxSlices?: string;
  backend: "auto" | "js" | "wasm";
  threads?: string;
}

/** `pocketvlm ground`: where a phrase is in an image, from the model's attention (TAG), as JSON. */
export function registerGround(program: Command): void {
  program
    .command("ground")
    .description("locate a phrase in an image from the model's attention alone (TAG: no generation, no tuning); prints JSON with the point, the best box and every region, in the image's pixels and in MiniCPM-V's 0-1000 coordinates")
    .argument("<target>", "what to find, e.g. \"red circle\"; it must appear in the question")
    .requiredOption("--image <file>", "the image (PNG, JPEG, WebP, GIF, TIFF)")
    .option("--question <text>", "the question whose target tokens are read (default: \"Point to the <target>.\")")
    .option(...MODEL_OPTION)
    .option(...MMPROJ_OPTION)
    .option("--top-heads <n>", "(layer, head) pairs kept per target token (default 10, the authors')")
    .option("--threshold <t>", "share of the map's maximum a region starts at (default 0.5)")
    .option("--max-slices <n>", "most slices per image (default 9)")
    .addOption(new Option("--backend <name>", "compute backend").choices(["auto", "js", "wasm"]).default("auto"))
    .option("--threads <n>", "worker threads")
    .action(async (target: string, f: GroundFlags) => {
      const topHeads = positiveInt("--top-heads", f.topHeads);
      const threshold = positiveNumber("--threshold", f.threshold);
      const image = await decodeImageFile(f.image);
      const vlm = await openVlmWithProgress(f);
      try {
        const r = await groundByAttention(vlm, image, target, {
          question: f.question, topHeads, threshold, maxSliceNums: positiveInt("--max-slices", f.maxSlices),
        });
        process.stdout.write(JSON.stringify({ target, ...groundingJson(r, image, { decimals: 1 }) }) + "\n");
      } finally {
        await vlm.dispose();
      }
    });
}
