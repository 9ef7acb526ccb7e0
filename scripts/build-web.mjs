// `npm run build:web`: the browser build in dist/web/ — the engine as one ES module (pocketvlm.js),
// the engine worker and the kernel worker bundles, the WebAssembly kernels, and the demo page that
// `pocketvlm web` serves. Same core code as Node (src/ minus src/node, src/cli, src/server), bundled
// with esbuild.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "web");
const kernels = ["kernels.wasm", "kernels-relaxed.wasm"];
/** The files the bundle step below writes into dist/web (bundles, their maps and license notes, the page). */
const OWN = /^((pocketvlm|engine-worker|kernel-worker|demo)\.(js|css)(\.map|\.LEGAL\.txt)?|index\.html)$/;

export async function buildWeb({ quiet = false } = {}) {
  if (kernels.some((k) => !existsSync(join(root, "dist", "kernels", k)))) {
    execFileSync(process.execPath, [join(root, "scripts", "build-kernels.mjs")], { cwd: root, stdio: quiet ? "ignore" : "inherit" });
  }
  // Only this build's own files go: dist/web also holds tsc's output of src/web (the `pocketvlm web`
  // server), which the CLI imports.
  if (existsSync(out)) {
    for (const f of readdirSync(out)) if (OWN.test(f)) rmSync(join(out, f), { force: true });
  }
  rmSync(join(out, "kernels"), { recursive: true, force: true });
  mkdirSync(join(out, "kernels"), { recursive: true });
  await build({
    absWorkingDir: root,
    entryPoints: {
      pocketvlm: "src/browser/index.ts",
      "engine-worker": "src/browser/engine-worker.ts",
      "kernel-worker": "src/browser/kernel-worker.ts",
      demo: "src/web/page/demo.ts",
    },
    outdir: out,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    sourcemap: true,
    legalComments: "linked",
    logLevel: quiet ? "error" : "warning",
    // platform.ts imports the Node platform by a computed specifier, only under Node
    logOverride: { "unsupported-dynamic-import": "silent" },
  });
  for (const k of kernels) copyFileSync(join(root, "dist", "kernels", k), join(out, "kernels", k));
  for (const f of ["index.html", "demo.css"]) copyFileSync(join(root, "src", "web", "page", f), join(out, f));
  if (!quiet) console.log(`web: built ${out}`);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildWeb();
