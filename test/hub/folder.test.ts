import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveHubModel } from "../../src/node/hub-model.js";
import { openVlm, type OpenedVlm } from "../../src/node/open-vlm.js";
import { writeAuthorsFolder } from "../formats/authors-folder.js";
import { startFakeHub, type FakeFile } from "./fake-hub.js";

test("an authors' repo on the Hub: its model files (no code, no docs) are fetched and open as the local folder does", async () => {
  const dir = await writeAuthorsFolder("4.5");
  const files: FakeFile[] = [];
  for (const name of await readdir(dir)) {
    files.push({ path: name, bytes: new Uint8Array(await readFile(join(dir, name))), lfs: name.endsWith(".safetensors") });
  }
  files.push({ path: "modeling_minicpmv.py", bytes: new TextEncoder().encode("# code\n") }, { path: "README.md", bytes: new TextEncoder().encode("# card\n") });
  const hub = await startFakeHub([{ repo: "pocketvlm/minicpmv-4.5-tiny", commit: "fedcba9876543210fedcba9876543210fedcba98", files }]);
  const cacheDir = await mkdtemp(join(tmpdir(), "pocketvlm-hub-folder-"));
  const opened: OpenedVlm[] = [];
  try {
    const fromHub = await openVlm({ model: "hf:pocketvlm/minicpmv-4.5-tiny", backend: "js", hub: { endpoint: hub.url, cacheDir } });
    opened.push(fromHub);
    const local = await openVlm({ model: dir, backend: "js" });
    opened.push(local);
    const snapshot = join(cacheDir, "models--pocketvlm--minicpmv-4.5-tiny", "snapshots", "fedcba9876543210fedcba9876543210fedcba98");
    assert.deepEqual(fromHub.paths, { model: snapshot, mmproj: snapshot });
    assert.deepEqual((await readdir(snapshot)).sort(), (await readdir(dir)).sort(), "every model file, and no .py / .md");
    assert.deepEqual(fromHub.llm.config, local.llm.config);
    assert.deepEqual(fromHub.vision.config, local.vision.config);
    assert.equal(fromHub.chatTemplate, local.chatTemplate);

    // A snapshot whose index names a shard it lacks (an interrupted download) is not taken offline.
    await writeFile(join(snapshot, "model.safetensors.index.json"), JSON.stringify({ weight_map: { "a.weight": "model.safetensors", "b.weight": "model-00002.safetensors" } }));
    await assert.rejects(resolveHubModel({ repo: "pocketvlm/minicpmv-4.5-tiny", revision: "main" }, { cacheDir, offline: true }, {}),
      /the cached snapshot lacks model-00002.safetensors \(an interrupted download\)/);
  } finally {
    for (const m of opened) await m.dispose();
    await hub.close();
    await rm(cacheDir, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  }
});
