import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { UserError } from "../../errors.js";
import { packageRoot } from "../../node/default-model.js";

/**
 * The browser build (dist/web). In a checkout where it has not been built yet, it is built now
 * (scripts/build-web.mjs, with esbuild from the dev dependencies).
 */
export async function webRoot(): Promise<string> {
  const root = packageRoot();
  const dir = join(root, "dist", "web");
  if (existsSync(join(dir, "index.html"))) return dir;
  const script = join(root, "scripts", "build-web.mjs");
  try {
    const mod = (await import(pathToFileURL(script).href)) as { buildWeb(o: { quiet: boolean }): Promise<string> };
    return await mod.buildWeb({ quiet: true });
  } catch (e) {
    throw new UserError("missing", `the browser build is not in ${dir} and could not be made (${(e as Error).message}); run npm run build:web`);
  }
}
