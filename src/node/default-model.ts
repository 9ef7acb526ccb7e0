import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../errors.js";

/** The package's root (works from src/ under tsx and from dist/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, "package.json"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("pocketvlm: cannot find the package root");
}

/** The built-in ShapesWorld model that ships in models/shapesworld/. */
export function defaultModelPaths(): { model: string; mmproj: string } {
  const dir = join(packageRoot(), "models", "shapesworld");
  const model = join(dir, "shapesworld-llm.gguf");
  const mmproj = join(dir, "shapesworld-mmproj.gguf");
  if (!existsSync(model) || !existsSync(mmproj)) {
    throw new UserError("missing", `the built-in model is not in ${dir}; pass --model and --mmproj`);
  }
  return { model, mmproj };
}
