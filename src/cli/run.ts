#!/usr/bin/env node
/** Entry point for running the CLI from source (`node --import tsx src/cli/run.ts ...`). */
import { main } from "./main.js";

main(process.argv).catch((err: unknown) => {
  console.error((err as Error)?.stack ?? String(err));
  process.exit(70);
});
