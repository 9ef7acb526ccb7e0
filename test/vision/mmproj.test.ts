import assert from "node:assert/strict";
import { test } from "node:test";
import { isUserError } from "../../src/errors.js";
import type { GGUFEntry, GGUFFile, GGUFTensorInfo } from "../../src/formats/gguf/types.js";
import { GGUFValueType } from "../../src/formats/gguf/types.js";
import { loadMmproj } from "../../src/models/vision/mmproj.js";
import { TINY_MMPROJ, openGGUF } from "./helpers.js";

const file = await openGGUF(TINY_MMPROJ);

/** The tiny mmproj with some metadata replaced (undefined = removed) and tensors edited. */
function variant(meta: Record<string, GGUFEntry | undefined>, editTensors?: (t: GGUFTensorInfo[]) => GGUFTensorInfo[]): GGUFFile {
  const metadata = new Map(file.metadata);
  for (const [k, v] of Object.entries(meta)) {
    if (v) metadata.set(k, v);
    else metadata.delete(k);
  }
  const tensors = editTensors ? editTensors([...file.tensors]) : file.tensors;
  const byName = new Map(tensors.map((t) => [t.name, t]));
  return { ...file, metadata, tensors, tensor: (n) => byName.get(n) };
}

const str = (value: string): GGUFEntry => ({ type: GGUFValueType.STRING, value });

function userError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => isUserError(e) && pattern.test(e.message));
}

test("config from clip.* metadata and shapes", () => {
  const { config } = loadMmproj(file);
  assert.deepEqual(
    { ...config },
    {
      version: 3, queryNum: 64, hidden: 64, heads: 4, layers: 2, ffn: 128, eps: Math.fround(1e-6), patchSize: 14, imageSize: 448,
      positionsPerSide: 70, imageMean: [0.5, 0.5, 0.5], imageStd: [0.5, 0.5, 0.5], embedDim: 256, resamplerHeads: 2, outDim: 256,
    },
  );
});

test("the converter's swapped FFN names are undone from the shapes", () => {
  assert.deepEqual(file.tensor("v.blk.0.ffn_down.weight")?.dims, [64, 128]); // fc1 stored as ffn_down
  const { source } = loadMmproj(file);
  const up = source.tensors.get("v.blk.0.ffn_up.weight")!;
  const down = source.tensors.get("v.blk.0.ffn_down.weight")!;
  assert.deepEqual(up.dims, [64, 128]); // fc1: 64 -> 128
  assert.deepEqual(down.dims, [128, 64]); // fc2: 128 -> 64
  assert.equal(up.offset, file.tensor("v.blk.0.ffn_down.weight")!.offset);
  assert.equal(source.tensors.get("v.blk.1.ffn_up.bias")!.dims[0], 128);
  assert.equal(up.name, "v.blk.0.ffn_up.weight");
});

test("already-correct FFN names are kept", () => {
  const swapped = variant({}, (ts) => ts.map((t) => {
    if (t.name.includes("ffn_up")) return { ...t, name: t.name.replace("ffn_up", "ffn_down") };
    if (t.name.includes("ffn_down")) return { ...t, name: t.name.replace("ffn_down", "ffn_up") };
    return t;
  }));
  const { source } = loadMmproj(swapped);
  assert.deepEqual(source.tensors.get("v.blk.0.ffn_up.weight")!.dims, [64, 128]);
});

test("query_num: llama.cpp's default per version when missing", () => {
  assert.equal(loadMmproj(variant({ "clip.minicpmv_query_num": undefined })).config.queryNum, 64);
  userError(() => loadMmproj(variant({ "clip.minicpmv_query_num": undefined, "clip.minicpmv_version": { type: GGUFValueType.INT32, value: 2 } })), /96/);
  userError(() => loadMmproj(variant({ "clip.minicpmv_query_num": { type: GGUFValueType.UINT32, value: 96 } })), /query_num is 96/);
});

test("clear errors for files that are not MiniCPM-V vision projectors", () => {
  userError(() => loadMmproj(variant({ "general.architecture": str("qwen3") })), /not a vision projector.*"qwen3"/);
  userError(() => loadMmproj(variant({ "clip.projector_type": str("mlp") })), /projector type "mlp".*resampler/);
  userError(() => loadMmproj(variant({ "clip.has_vision_encoder": { type: GGUFValueType.BOOL, value: false } })), /no vision encoder/);
  userError(() => loadMmproj(variant({ "clip.minicpmv_version": { type: GGUFValueType.INT32, value: 7 } })), /version 7/);
  userError(() => loadMmproj(variant({}, (ts) => ts.filter((t) => t.name !== "resampler.attn.k.bias"))), /"resampler.attn.k.bias" is missing/);
  userError(
    () => loadMmproj(variant({}, (ts) => ts.map((t) => (t.name === "v.blk.1.attn_q.weight" ? { ...t, dims: [32, 128] } : t)))),
    /"v.blk.1.attn_q.weight" has shape \[32,128\]/,
  );
  userError(() => loadMmproj(variant({ "clip.vision.block_count": { type: GGUFValueType.UINT32, value: 27 } })), /block_count is 27/);
});

test("resampler.pos_embed_k is optional", () => {
  const { config } = loadMmproj(variant({}, (ts) => ts.filter((t) => t.name !== "resampler.pos_embed_k")));
  assert.equal(config.queryNum, 64);
});
