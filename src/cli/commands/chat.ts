import { Option, type Command } from "commander";
import type { ContentPart } from "../../multimodal/messages.js";
import { decodeImageFile } from "../../node/image-decode.js";
import { UserError } from "../../errors.js";
import { openVideo, videoPartOf } from "../../node/video-decode.js";
import { addRunOptions, maxTokensFrom, positiveInt, positiveNumber, samplingFrom, type RunFlags, MMPROJ_OPTION, MODEL_OPTION } from "../options.js";
import { openVlmWithProgress } from "../progress.js";
import { streamToStdout } from "../stream-output.js";

interface ChatFlags extends RunFlags {
  model?: string;
  mmproj?: string;
  image: string[];
  video?: string;
  videoFps?: string;
  sampleFps?: string;
  packing?: string;
  frameFusion?: string | boolean;
  preprocess: "reference" | "llamacpp" | "bluelm";
  maxSlices?: string;
  style: "authors" | "llamacpp";
  think?: boolean;
  system?: string;
  json?: boolean;
}

/** `pocketvlm chat`: ask a question about one or more images (or none), answer streamed to stdout. */
export function registerChat(program: Command): void {
  const cmd = program
    .command("chat")
    .description("ask the multimodal model a question about images; the answer streams to stdout (default model: the built-in ShapesWorld model)")
    .argument("<question>", "the question")
    .option(...MODEL_OPTION)
    .option(...MMPROJ_OPTION)
    .option("--image <file>", "an image file (PNG, JPEG, WebP, GIF, TIFF); repeat for several, in order", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--video <path>", "a video: an animated GIF / WebP, or a folder of frame images (sorted by name); placed before the images")
    .option("--video-fps <n>", "frame rate of a --video folder (default 10)")
    .option("--sample-fps <n>", "video frames per second the model looks at (default 3 on MiniCPM-V 4.5, else 1)")
    .option("--frame-fusion [cost]", "FrameFusion on the video's rows: merge similar rows of consecutive frames, prune the least attended, keeping COST of their compute (default 0.3)")
    .option("--packing <n>", "MiniCPM-V 4.5: video frames per resampler group (1-3; default: 1, more for videos over 60 s)")
    .addOption(new Option("--preprocess <policy>", "how images are cut into crops").choices(["reference", "llamacpp", "bluelm"]).default("reference"))
    .option("--max-slices <n>", "most slices per image (default 9)")
    .addOption(new Option("--style <style>", "prompt layout: the authors' chat() or llama.cpp's mtmd").choices(["authors", "llamacpp"]).default("authors"))
    .option("--think", "MiniCPM-V 4.5: let the model think before answering")
    .option("--system <text>", "a system message")
    .option("--json", "print one JSON object (answer, tokens, timings) instead of streaming text");
  addRunOptions(cmd).action(async (question: string, f: ChatFlags) => {
    const sampling = samplingFrom(f);
    const maxTokens = maxTokensFrom(f);
    const maxSliceNums = positiveInt("--max-slices", f.maxSlices);
    // decode images first: a bad image fails before the (slower) model load
    const images = [];
    for (const path of f.image) images.push(await decodeImageFile(path, { flavour: f.preprocess === "llamacpp" ? "llamacpp" : "pil" }));
    const video = f.video === undefined ? undefined : await openVideo(f.video, { folderFps: positiveNumber("--video-fps", f.videoFps) });
    const sampleFps = positiveNumber("--sample-fps", f.sampleFps);
    const packing = positiveInt("--packing", f.packing);
    const fusionCost = typeof f.frameFusion === "string" ? positiveNumber("--frame-fusion", f.frameFusion) : undefined;
    if (fusionCost !== undefined && fusionCost > 1) throw new UserError("bad_argument", `--frame-fusion: the cost is a share of the compute, at most 1 (got ${fusionCost})`);
    if (f.frameFusion !== undefined && video === undefined) throw new UserError("bad_argument", "--frame-fusion works on a --video");
    const vlm = await openVlmWithProgress(f);
    try {
      const content: ContentPart[] = [];
      if (video) content.push(await videoPartOf(video, { temporal: vlm.hasTemporalResampler, chooseFps: sampleFps, forcePacking: packing }));
      content.push(...images.map((image) => ({ type: "image" as const, image })), { type: "text", text: question });
      const it = vlm.chat([{ role: "user", content }], {
        maxTokens, sampling, stop: f.stop, coordinates: f.coordinates, preprocess: f.preprocess, maxSliceNums, style: f.style,
        numerics: f.preprocess === "llamacpp" ? "llamacpp" : "reference",
        enableThinking: f.think, system: f.system,
        frameFusion: f.frameFusion === undefined ? undefined : { cost: fusionCost },
      });
      const res = await streamToStdout(it, Boolean(f.json));
      if (f.json) {
        process.stdout.write(JSON.stringify({
          answer: res.text, tokens: res.tokens, finish_reason: res.finishReason, prompt_rows: res.promptRows,
          prefill_ms: Math.round(res.prefillMs), decode_ms: Math.round(res.decodeMs),
          ...(vlm.lastFrameFusion ? { frame_fusion: vlm.lastFrameFusion } : {}),
          crops: vlm.lastImages.map((p) => ({ grid: p.grid, crops: p.crops.map((c) => [c.image.width, c.image.height]) })),
        }) + "\n");
      }
    } finally {
      await vlm.dispose();
    }
  });
}
