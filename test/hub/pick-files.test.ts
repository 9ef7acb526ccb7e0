import { test } from "node:test";
import assert from "node:assert/strict";
import { isHubModelRef, parseHubModelRef } from "../../src/hub/model-ref.js";
import { pickModelFiles } from "../../src/hub/pick-files.js";
import { UserError } from "../../src/errors.js";

// File names as they are in openbmb's repos (MiniCPM-V-4_5-gguf and the authors' MiniCPM-V-4_5).
const GGUF_REPO = [
  ".gitattributes", "README.md", "ggml-model-F16.gguf", "ggml-model-Q4_0.gguf", "ggml-model-Q4_1.gguf", "ggml-model-Q4_K_M.gguf",
  "ggml-model-Q4_K_S.gguf", "ggml-model-Q5_0.gguf", "ggml-model-Q5_K_M.gguf", "ggml-model-Q6_K.gguf", "ggml-model-Q8_0.gguf",
  "mmproj-model-f16.gguf",
];
const AUTHORS_REPO = [
  ".gitattributes", "README.md", "added_tokens.json", "config.json", "configuration_minicpm.py", "generation_config.json",
  "image_processing_minicpmv.py", "merges.txt", "model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors",
  "model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors", "model.safetensors.index.json", "modeling_minicpmv.py",
  "preprocessor_config.json", "processing_minicpmv.py", "resampler.py", "special_tokens_map.json", "tokenizer.json",
  "tokenizer_config.json", "vocab.json", "assets/radar.png",
];

test("hub refs: hf:owner/name[@revision][:quant], also hf.co/ and bare owner/name", () => {
  assert.deepEqual(parseHubModelRef("hf:openbmb/MiniCPM-V-4_5-gguf"), { repo: "openbmb/MiniCPM-V-4_5-gguf", revision: "main", quant: undefined });
  assert.deepEqual(parseHubModelRef("hf:openbmb/MiniCPM-V-4_5-gguf:Q8_0"), { repo: "openbmb/MiniCPM-V-4_5-gguf", revision: "main", quant: "Q8_0" });
  assert.deepEqual(parseHubModelRef("hf.co/a/b@v1.0:q4_k_m"), { repo: "a/b", revision: "v1.0", quant: "q4_k_m" });
  assert.deepEqual(parseHubModelRef("a/b"), { repo: "a/b", revision: "main", quant: undefined });
  assert.ok(isHubModelRef("hf:a/b") && isHubModelRef("hf.co/a/b") && !isHubModelRef("./models/a.gguf") && !isHubModelRef("a/b"));
  for (const bad of ["hf:a", "hf:a/b/c", "hf:../x", "hf:a/b:", "hf:a/b@:Q8_0", "hf:a/.."]) {
    assert.throws(() => parseHubModelRef(bad), (e: unknown) => e instanceof UserError && e.code === "bad_argument", bad);
  }
});

test("pickModelFiles: a GGUF repo gives the asked quant (else Q4_K_M) and its mmproj", () => {
  assert.deepEqual(pickModelFiles("o/r", GGUF_REPO), { kind: "gguf", llm: "ggml-model-Q4_K_M.gguf", mmproj: "mmproj-model-f16.gguf" });
  assert.equal((pickModelFiles("o/r", GGUF_REPO, "q8_0") as { llm: string }).llm, "ggml-model-Q8_0.gguf");
  assert.equal((pickModelFiles("o/r", GGUF_REPO, "Q4_K_S") as { llm: string }).llm, "ggml-model-Q4_K_S.gguf");
  assert.equal((pickModelFiles("o/r", GGUF_REPO, "F16") as { llm: string }).llm, "ggml-model-F16.gguf");
  // "Q4_K" is a prefix of two names and the end of none: ambiguous, and the message lists them.
  assert.throws(() => pickModelFiles("o/r", GGUF_REPO, "Q4_K"), /matches several .*Q4_K_M.*Q4_K_S/);
  assert.throws(() => pickModelFiles("o/r", GGUF_REPO, "Q3_K_L"), /no language-model GGUF file for quant Q3_K_L; it holds: .*Q4_K_M/);
  // One LLM file is taken whatever it is called; no default quant among several: the user must choose.
  assert.deepEqual(pickModelFiles("o/r", ["model.gguf"]), { kind: "gguf", llm: "model.gguf", mmproj: undefined });
  assert.throws(() => pickModelFiles("o/r", ["a-IQ2_XS.gguf", "a-IQ3_M.gguf"]), /several language-model GGUF files; name one with :QUANT/);
  // Several projectors: F16 first.
  assert.deepEqual(pickModelFiles("o/r", ["m-Q8_0.gguf", "mmproj-m-Q8_0.gguf", "mmproj-m-F16.gguf"]),
    { kind: "gguf", llm: "m-Q8_0.gguf", mmproj: "mmproj-m-F16.gguf" });
  assert.throws(() => pickModelFiles("o/r", ["m.gguf", "mmproj-a-Q8_0.gguf", "mmproj-b-Q4_0.gguf"]), /several mmproj files .* none is F16/);
  assert.throws(() => pickModelFiles("o/r", ["mmproj-f16.gguf"]), /only vision projector GGUFs/);
  assert.throws(() => pickModelFiles("o/r", ["m-Q8_0-00001-of-00002.gguf", "m-Q8_0-00002-of-00002.gguf"], "Q8_0"), /several|split/);
  assert.throws(() => pickModelFiles("o/r", ["m-00001-of-00002.gguf"]), /split GGUF/);
});

test("pickModelFiles: an authors' repo gives config, safetensors, tokenizer and processor files, no code or pictures", () => {
  const pick = pickModelFiles("openbmb/MiniCPM-V-4_5", AUTHORS_REPO);
  assert.equal(pick.kind, "folder");
  assert.deepEqual(pick.kind === "folder" && pick.files, [
    "added_tokens.json", "config.json", "generation_config.json", "merges.txt", "model-00001-of-00004.safetensors",
    "model-00002-of-00004.safetensors", "model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors",
    "model.safetensors.index.json", "preprocessor_config.json", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "vocab.json",
  ]);
  assert.throws(() => pickModelFiles("o/r", AUTHORS_REPO, "Q4_K_M"), /no GGUF files/);
  assert.throws(() => pickModelFiles("o/r", ["README.md"]), /neither GGUF files nor a config.json/);
  assert.throws(() => pickModelFiles("o/r", ["config.json", "pytorch_model.bin"]), /no safetensors/);
});
