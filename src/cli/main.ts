import { Command, CommanderError } from "commander";
import { isUserError } from "../errors.js";
import { registerCommands } from "./commands/index.js";

/** The `pocketvlm` command line. User errors print one line and exit 1; bugs print a stack and exit 70. */
export async function main(argv: string[]): Promise<void> {
  const program = new Command();
  program
    .name("pocketvlm")
    .description("MiniCPM-V multimodal models on your own device (TypeScript + WebAssembly)")
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    if (isUserError(e)) {
      console.error(`pocketvlm: ${e.message}`);
      process.exitCode = 1;
      return;
    }
    throw e;
  }
}
