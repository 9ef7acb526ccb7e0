import type { Command } from "commander";
import { registerLogits } from "./logits.js";
import { registerTokenize } from "./tokenize.js";

/** Each command lives in its own file and registers itself here. */
export function registerCommands(program: Command): void {
  void program;
  registerLogits(program);
  registerTokenize(program);
}
