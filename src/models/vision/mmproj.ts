import { UserError } from "../../errors.js";
import type { GGUFFile } from "../../formats/gguf/types.js";
import { modelSourceFromGGUF, type ModelSource, type TensorEntry } from "../model-source.js";
import { defaultQueryNum, visionConfigFromSource, type VisionConfig } from "./config.js";
import { checkVisionShapes } from "./shapes.js";

/**
 * A llama.cpp vision projector (`mmproj-*.gguf`, `clip.projector_type = resampler`) as a canonical vision
 * source: the converter's swapped FFN names undone, shapes checked, hyper-parameters read.
 */
export interface Mmproj {
  readonly source: ModelSource;
  readonly config: VisionConfig;
}

export function loadMmproj(file: GGUFFile): Mmproj {
  const raw = modelSourceFromGGUF(file);
  const m = raw.meta;
  const arch = m.string("general.architecture", "");
  if (arch !== "clip") {
    throw new UserError("bad_file", `${raw.name}: not a vision projector (mmproj) file: general.architecture is "${arch || "missing"}", expected "clip"`);
  }
  if (!m.bool("clip.has_vision_encoder", false)) {
    throw new UserError("unsupported", `${raw.name}: this clip file has no vision encoder (clip.has_vision_encoder is not true)`);
  }
  const projector = m.has("clip.projector_type") ? m.string("clip.projector_type") : m.bool("clip.has_minicpmv_projector", false) ? "resampler" : "";
  if (projector !== "resampler") {
    throw new UserError("unsupported", `${raw.name}: projector type "${projector || "missing"}" is not MiniCPM-V's "resampler"`);
  }
  const source: ModelSource = { name: raw.name, meta: raw.meta, tensors: undoFfnSwap(raw) };
  const config = visionConfigFromSource(source);
  if (!m.has("clip.minicpmv_query_num") && config.queryNum !== defaultQueryNum(config.version)) {
    throw new UserError(
      "bad_file",
      `${raw.name}: resampler.query has ${config.queryNum} rows, but minicpmv_version ${config.version} without clip.minicpmv_query_num means ${defaultQueryNum(config.version)}`,
    );
  }
  checkVisionShapes(source, config);
  return { source, config };
}

/**
 * llama.cpp's legacy MiniCPM-V converter stores SigLIP's fc1 as `ffn_down` and fc2 as `ffn_up`. Like
 * clip.cpp, recognise that from the shapes (a `ffn_down` that takes the ViT width as input is really the
 * up projection) and swap the names back, block by block.
 */
function undoFfnSwap(src: ModelSource): Map<string, TensorEntry> {
  const out = new Map(src.tensors);
  const hidden = src.tensors.get("v.patch_embd.weight")?.dims[3];
  for (let i = 0; src.tensors.has(`v.blk.${i}.attn_q.weight`); i++) {
    const p = `v.blk.${i}.`;
    const up = src.tensors.get(`${p}ffn_up.weight`);
    const down = src.tensors.get(`${p}ffn_down.weight`);
    if (!up || !down || down.dims[0] !== hidden || up.dims[0] === hidden) continue;
    for (const kind of ["weight", "bias"]) {
      const a = src.tensors.get(`${p}ffn_up.${kind}`);
      const b = src.tensors.get(`${p}ffn_down.${kind}`);
      out.delete(`${p}ffn_up.${kind}`);
      out.delete(`${p}ffn_down.${kind}`);
      if (b) out.set(`${p}ffn_up.${kind}`, { ...b, name: `${p}ffn_up.${kind}` });
      if (a) out.set(`${p}ffn_down.${kind}`, { ...a, name: `${p}ffn_down.${kind}` });
    }
  }
  return out;
}
