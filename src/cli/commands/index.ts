import type { Command } from "commander";
import { registerLogits } from "./logits.js";

/** Each command lives in its own file and registers itself here. */
export function registerCommands(program: Command): void {
  void program;
  registerLogits(program);
}
