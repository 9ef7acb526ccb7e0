// Compiles the AssemblyScript kernels in assembly/ to WebAssembly modules in dist/kernels/.
// Each top-level assembly/<name>.ts that is an entry point (listed below) becomes <name>.wasm.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "dist", "kernels");
mkdirSync(outDir, { recursive: true });
const entries = existsSync(join(root, "assembly"))
  ? readdirSync(join(root, "assembly")).filter((f) => f.endsWith(".entry.ts"))
  : [];
const asc = join(root, "node_modules", "assemblyscript", "bin", "asc.js");
for (const entry of entries) {
  const name = entry.replace(/\.entry\.ts$/, "");
  const args = [
    asc, join("assembly", entry),
    "-o", join(outDir, `${name}.wasm`),
    "-O3", "--runtime", "stub", "--noAssert",
    "--enable", "simd", "--enable", "threads",
    "--importMemory", "--sharedMemory", "--initialMemory", "1", "--maximumMemory", "65536",
  ];
  if (name.endsWith("-relaxed")) args.push("--enable", "relaxed-simd");
  execFileSync(process.execPath, args, { cwd: root, stdio: "inherit" });
  console.log(`kernels: built ${name}.wasm`);
}
