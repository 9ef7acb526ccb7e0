import type { Command } from "commander";
import { registerChat } from "./chat.js";
import { registerEval } from "./eval.js";
import { registerEmbedImage } from "./embed-image.js";
import { registerGenerate } from "./generate.js";
import { registerGround } from "./ground.js";
import { registerList } from "./list.js";
import { registerLogits } from "./logits.js";
import { registerPull } from "./pull.js";
import { registerServe } from "./serve.js";
import { registerTokenize } from "./tokenize.js";
import { registerWeb } from "./web.js";

/** Each command lives in its own file and registers itself here. */
export function registerCommands(program: Command): void {
  registerChat(program);
  registerEval(program);
  registerEmbedImage(program);
  registerGenerate(program);
  registerGround(program);
  registerList(program);
  registerLogits(program);
  registerPull(program);
  registerServe(program);
  registerTokenize(program);
  registerWeb(program);
}
