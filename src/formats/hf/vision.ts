import { UserError } from "../../errors.js";
import type { TensorEntry } from "../../models/model-source.js";
import { readJSON, type FolderReader } from "./folder.js";
import { entryOf, requireHf, splitRows, transposed } from "./entries.js";
import { openHfCheckpoint, type HfCheckpoint, type HfFileSet } from "./load-folder.js";
import { MetaBuilder, hfModelSource, type HfModelSource } from "./meta.js";
import { minicpmvVersion } from "./version.js";

/**
 * The vision half of an authors' MiniCPM-V checkpoint (SigLIP `vpm.*` + `resampler.*`) as the
 * llama.cpp mmproj would describe it: `clip.*` metadata and `v.*` / `resampler.*` tensors — with the
 * FFN names meaning what they say (ffn_up = fc1, ffn_down = fc2), unlike the converter's swapped ones.
 */

const LAYER_MAP: [RegExp, (n: string, ...g: string[]) => string][] = [
  [/^self_attn\.(q|k|v)_proj\.(weight|bias)$/, (n, p, w) => `v.blk.${n}.attn_${p}.${w}`],
  [/^self_attn\.out_proj\.(weight|bias)$/, (n, w) => `v.blk.${n}.attn_out.${w}`],
  [/^layer_norm([12])\.(weight|bias)$/, (n, i, w) => `v.blk.${n}.ln${i}.${w}`],
  [/^mlp\.fc1\.(weight|bias)$/, (n, w) => `v.blk.${n}.ffn_up.${w}`],
  [/^mlp\.fc2\.(weight|bias)$/, (n, w) => `v.blk.${n}.ffn_down.${w}`],
];
const LAYER_KEYS = [
  "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj", "layer_norm1", "layer_norm2", "mlp.fc1", "mlp.fc2",
].flatMap((k) => [`${k}.weight`, `${k}.bias`]);

function layerCount(ckpt: HfCheckpoint): number {
  let n = 0;
  for (const k of ckpt.tensors.keys()) {
    const m = /^vpm\.encoder\.layers\.(\d+)\./.exec(k);
    if (m) n = Math.max(n, Number(m[1]) + 1);
  }
  return n;
}

async function normalisation(ckpt: HfCheckpoint, folder: FolderReader | undefined): Promise<[number[], number[]]> {
  const fallback: [number[], number[]] = [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]];
  if (!folder || !ckpt.files.includes("preprocessor_config.json")) return fallback;
  const p = (await readJSON(folder, "preprocessor_config.json")) as Record<string, unknown> | null;
  const pick = (...keys: string[]) => {
    for (const k of keys) {
      const v = p?.[k];
      if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === "number")) return v as number[];
    }
    return undefined;
  };
  return [pick("image_mean", "norm_mean") ?? fallback[0], pick("image_std", "norm_std") ?? fallback[1]];
}

function check(ckpt: HfCheckpoint, what: string, fromWeights: number, declared: number | undefined): void {
  if (declared !== undefined && declared !== fromWeights) {
    throw new UserError("bad_file", `${ckpt.config.where}: ${what} is ${declared} but the weights have ${fromWeights}`);
  }
}

export async function loadHfVision(input: FolderReader | HfFileSet): Promise<HfModelSource> {
  const ckpt = await openHfCheckpoint(input);
  try {
    return await mapVision(ckpt, "list" in input ? input : undefined);
  } catch (e) {
    await ckpt.close();
    throw e;
  }
}

async function mapVision(ckpt: HfCheckpoint, folder: FolderReader | undefined): Promise<HfModelSource> {
  const c = ckpt.config;
  const vc = c.sub("vision_config");
  const patchW = requireHf(ckpt, "vpm.embeddings.patch_embedding.weight");
  const hidden = patchW.shape[0];
  check(ckpt, "vision_config.hidden_size", hidden, vc.optionalNumber("hidden_size"));
  const layersInWeights = layerCount(ckpt);
  // the authors drop the last SigLIP layer when the config says so (MiniCPM-V 2.0 era)
  const blocks = c.bool("drop_vision_last_layer", false) ? layersInWeights - 1 : vc.int("num_hidden_layers", layersInWeights);
  if (blocks < 1 || blocks > layersInWeights) throw new UserError("bad_file", `${ckpt.name}: ${blocks} vision layers configured, ${layersInWeights} in the weights`);
  const ffn = requireHf(ckpt, "vpm.encoder.layers.0.mlp.fc1.weight").shape[0];
  check(ckpt, "vision_config.intermediate_size", ffn, vc.optionalNumber("intermediate_size"));
  const query = requireHf(ckpt, "resampler.query");
  const queryNum = query.shape[0];
  check(ckpt, "query_num", queryNum, c.optionalNumber("query_num"));
  const version = minicpmvVersion(ckpt, queryNum);
  const [mean, std] = await normalisation(ckpt, folder);

  const meta = new MetaBuilder()
    .str("general.architecture", "clip")
    .bool("clip.has_text_encoder", false)
    .bool("clip.has_vision_encoder", true)
    .bool("clip.has_minicpmv_projector", true)
    .str("clip.projector_type", "resampler")
    .i32("clip.minicpmv_version", version)
    .u32("clip.vision.image_size", c.int("image_size", 448))
    .u32("clip.vision.patch_size", vc.int("patch_size", patchW.shape[3] ?? 14))
    .u32("clip.vision.embedding_length", hidden)
    .u32("clip.vision.feed_forward_length", ffn)
    .u32("clip.vision.projection_dim", 0)
    .u32("clip.vision.attention.head_count", vc.int("num_attention_heads", 16))
    .f32("clip.vision.attention.layer_norm_epsilon", vc.number("layer_norm_eps", 1e-6))
    .u32("clip.vision.block_count", blocks)
    .u32("clip.minicpmv_query_num", queryNum)
    .f32s("clip.vision.image_mean", mean)
    .f32s("clip.vision.image_std", std)
    .bool("clip.use_gelu", true);

  const t = (key: string, name: string) => entryOf(ckpt, requireHf(ckpt, key), name);
  const tensors: TensorEntry[] = [
    t("vpm.embeddings.patch_embedding.weight", "v.patch_embd.weight"),
    t("vpm.embeddings.patch_embedding.bias", "v.patch_embd.bias"),
    t("vpm.embeddings.position_embedding.weight", "v.position_embd.weight"),
  ];
  for (let n = 0; n < blocks; n++) {
    for (const key of LAYER_KEYS) {
      const rule = LAYER_MAP.find(([re]) => re.test(key))!;
      const groups = rule[0].exec(key)!.slice(1);
      tensors.push(t(`vpm.encoder.layers.${n}.${key}`, rule[1](String(n), ...groups)));
    }
  }
  tensors.push(
    t("vpm.post_layernorm.weight", "v.post_ln.weight"),
    t("vpm.post_layernorm.bias", "v.post_ln.bias"),
    entryOf(ckpt, query, "resampler.query"),
    t("resampler.kv_proj.weight", "resampler.kv.weight"),
    ...splitRows(ckpt, requireHf(ckpt, "resampler.attn.in_proj_weight"), ["resampler.attn.q.weight", "resampler.attn.k.weight", "resampler.attn.v.weight"]),
    ...splitRows(ckpt, requireHf(ckpt, "resampler.attn.in_proj_bias"), ["resampler.attn.q.bias", "resampler.attn.k.bias", "resampler.attn.v.bias"]),
    t("resampler.attn.out_proj.weight", "resampler.attn.out.weight"),
    t("resampler.attn.out_proj.bias", "resampler.attn.out.bias"),
  );
  for (const ln of ["q", "kv", "post"]) {
    tensors.push(t(`resampler.ln_${ln}.weight`, `resampler.ln_${ln}.weight`), t(`resampler.ln_${ln}.bias`, `resampler.ln_${ln}.bias`));
  }
  // llama.cpp multiplies every input embedding of a minicpm LLM by its scale_emb, image rows
  // included, so its converter divides the projection by it; do the same to describe the same model
  const scaleEmb = c.optionalNumber("scale_emb");
  tensors.push(await transposed(ckpt, requireHf(ckpt, "resampler.proj"), "resampler.proj.weight", scaleEmb));
  return hfModelSource(ckpt.name, meta, tensors, ckpt.files, () => ckpt.close());
}
