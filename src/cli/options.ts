import { Option, type Command } from "commander";
import { UserError } from "../errors.js";
import type { BackendChoice } from "../node/load-llm.js";
import type { CoordinateDecoding } from "../runtime/coordinates.js";
import type { SamplingOptions } from "../runtime/sampling.js";

/** Flags shared by the commands that run a model. */
export interface RunFlags {
  backend: BackendChoice;
  threads?: string;
  maxTokens: string;
  temperature?: string;
  topK?: string;
  topP?: string;
  minP?: string;
  repeatPenalty?: string;
  seed?: string;
  stop?: string[];
  coordinates: CoordinateDecoding;
}

export const coordinatesOption = (): Option =>
  new Option("--coordinates <mode>", "numbers in <box>/<point> answers under greedy decoding: each the weighted median of what the model may write (least expected error), or digit by digit as llama.cpp").choices(["median", "greedy"]).default("median");

/** --model / --mmproj of the commands that open a whole MiniCPM-V model: `.option(...MODEL_OPTION)`. */
export const MODEL_OPTION = ["--model <path>", "LLM GGUF, an authors' Hugging Face folder, or a Hub repo of either: hf:owner/name[@revision][:QUANT], fetched into the Hugging Face cache (default: the built-in ShapesWorld model)"] as const;
export const MMPROJ_OPTION = ["--mmproj <path>", "vision projector GGUF (mmproj) that belongs to --model, or an authors' folder (default: the Hub repo's own projector, or --model when it is a folder)"] as const;

export function addRunOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--backend <name>", "compute backend").choices(["auto", "js", "wasm"]).default("auto"))
    .option("--threads <n>", "worker threads (default: all cores)")
    .option("-n, --max-tokens <n>", "most tokens to generate", "256")
    .option("--temperature <t>", "sampling temperature; 0 = greedy (default 0)")
    .option("--top-k <k>", "top-k sampling (0 = off)")
    .option("--top-p <p>", "top-p (nucleus) sampling")
    .option("--min-p <p>", "min-p sampling")
    .option("--repeat-penalty <r>", "repetition penalty (1 = off)")
    .option("--seed <n>", "random seed for sampling")
    .option("--stop <text>", "stop before this string (repeatable)", (v: string, acc: string[] = []) => [...acc, v])
    .addOption(coordinatesOption());
}

export function parseNumber(flag: string, v: string | undefined, check: (x: number) => boolean = Number.isFinite): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === "" || !check(x)) throw new UserError("bad_argument", `${flag}: "${v}" is not a valid value`);
  return x;
}

export function positiveInt(flag: string, v: string | undefined): number | undefined {
  return parseNumber(flag, v, (x) => Number.isInteger(x) && x > 0);
}

export function positiveNumber(flag: string, v: string | undefined): number | undefined {
  return parseNumber(flag, v, (x) => x > 0);
}

export function samplingFrom(f: RunFlags): SamplingOptions {
  const temperature = parseNumber("--temperature", f.temperature) ?? 0;
  return {
    temperature,
    topK: parseNumber("--top-k", f.topK, (x) => Number.isInteger(x) && x >= 0),
    topP: parseNumber("--top-p", f.topP),
    minP: parseNumber("--min-p", f.minP),
    repetitionPenalty: parseNumber("--repeat-penalty", f.repeatPenalty),
    seed: parseNumber("--seed", f.seed, (x) => Number.isInteger(x) && x >= 0),
  };
}

export function maxTokensFrom(f: RunFlags): number {
  return parseNumber("--max-tokens", f.maxTokens, (x) => Number.isInteger(x) && x >= 0)!;
}
