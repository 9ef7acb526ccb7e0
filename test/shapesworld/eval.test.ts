/** `pocketvlm eval` and evaluateSamples on the built-in model: counts add up, answers are scored as isCorrect says, overrides apply. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { generateSplit, isCorrect, QUESTION_TYPES } from "../../src/datasets/shapesworld/index.js";
import { evaluateSamples } from "../../src/datasets/shapesworld/evaluate.js";
import { openVlm } from "../../src/node/open-vlm.js";

const run = promisify(execFile);

test("evaluateSamples: every question answered once, per-type counts add up, scoring is isCorrect's; answerWith overrides", async () => {
  const vlm = await openVlm({ backend: "js" });
  try {
    const samples = generateSplit("validation", 3);
    const questions = samples.flatMap((s) => s.qa);
    const report = await evaluateSamples(vlm, samples);
    assert.equal(report.total.n, questions.length);
    assert.equal(report.records.length, questions.length);
    assert.deepEqual(report.records.map((r) => r.question), questions.map((q) => q.question));
    for (const [i, r] of report.records.entries()) assert.equal(r.correct, isCorrect(questions[i], r.answer), r.question);
    let n = 0, correct = 0;
    for (const [type, t] of Object.entries(report.byType)) {
      assert.ok((QUESTION_TYPES as readonly string[]).includes(type));
      assert.equal(t.accuracy, t.correct / t.n);
      n += t.n; correct += t.correct;
    }
    assert.deepEqual([n, correct], [report.total.n, report.total.correct]);

    // point questions answered by a fixed override: the target box's centre is always right
    const overridden = await evaluateSamples(vlm, samples, {
      answerWith: async (qa) => (qa.type === "point" && qa.target ? `<point>${(qa.target[0] + qa.target[2]) / 2} ${(qa.target[1] + qa.target[3]) / 2}</point>` : null),
    });
    assert.equal(overridden.byType.point.accuracy, 1);
    assert.deepEqual(overridden.records.filter((r) => r.type !== "point"), report.records.filter((r) => r.type !== "point"));
  } finally {
    await vlm.dispose();
  }
});

test("pocketvlm eval --json (and --points tag): one JSON object with per-type accuracy", async () => {
  const args = ["--import", "tsx", "src/cli/run.ts", "eval", "--split", "validation", "--count", "2", "--json", "--threads", "1"];
  const plain = JSON.parse((await run(process.execPath, args)).stdout.trim().split("\n").pop()!);
  assert.equal(plain.split, "validation");
  assert.equal(plain.scenes, 2);
  assert.equal(plain.total.n, generateSplit("validation", 2).flatMap((s) => s.qa).length);
  assert.ok(plain.byType.point.n >= 1);
  const tag = JSON.parse((await run(process.execPath, [...args, "--points", "tag"])).stdout.trim().split("\n").pop()!);
  // --answers: every question as one JSON line, the same ones the summary counts
  const dir = await mkdtemp(join(tmpdir(), "pocketvlm-eval-"));
  try {
    const file = join(dir, "answers.jsonl");
    const withAnswers = JSON.parse((await run(process.execPath, [...args, "--answers", file])).stdout.trim().split("\n").pop()!);
    const lines = (await readFile(file, "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.length, withAnswers.total.n);
    assert.equal(lines.filter((l) => l.correct).length, withAnswers.total.correct);
    const scenes = generateSplit("validation", 2);
    assert.deepEqual(lines.map((l) => l.question), scenes.flatMap((s) => s.qa.map((q) => q.question)));
    assert.deepEqual(lines[0].image, [scenes[0].scene.width, scenes[0].scene.height]);
    assert.deepEqual(await readdir(dir), ["answers.jsonl"], "no partial file left");
    // a path that cannot be written fails before any question is answered, with a clear message
    const bad = await run(process.execPath, [...args, "--answers", join(dir, "no", "such", "dir.jsonl")]).catch((e) => e);
    assert.match(String(bad.stderr ?? bad), /no such directory/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  assert.equal(tag.total.n, plain.total.n);
  assert.deepEqual(Object.keys(tag.byType).sort(), Object.keys(plain.byType).sort());
});
