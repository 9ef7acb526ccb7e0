import { UserError } from "../../errors.js";
import type { ModelSource } from "../model-source.js";
import type { VisionConfig } from "./config.js";

/** Every tensor a MiniCPM-V vision source must hold, with its ggml dims (PyTorch shape reversed). */
export function visionTensorShapes(c: VisionConfig): Map<string, number[]> {
  const W = c.hidden;
  const D = c.embedDim;
  const s = new Map<string, number[]>([
    ["v.patch_embd.weight", [c.patchSize, c.patchSize, 3, W]],
    ["v.patch_embd.bias", [W]],
    ["v.position_embd.weight", [W, c.positionsPerSide * c.positionsPerSide]],
    ["v.post_ln.weight", [W]],
    ["v.post_ln.bias", [W]],
    ["resampler.query", [D, c.queryNum]],
    ["resampler.kv.weight", [W, D]],
    ["resampler.proj.weight", [D, c.outDim]],
  ]);
  for (const n of ["q", "k", "v", "out"]) {
    s.set(`resampler.attn.${n}.weight`, [D, D]);
    s.set(`resampler.attn.${n}.bias`, [D]);
  }
  for (const n of ["q", "kv", "post"]) {
    s.set(`resampler.ln_${n}.weight`, [D]);
    s.set(`resampler.ln_${n}.bias`, [D]);
  }
  for (let i = 0; i < c.layers; i++) {
    const p = `v.blk.${i}.`;
    for (const n of ["attn_q", "attn_k", "attn_v", "attn_out"]) {
      s.set(`${p}${n}.weight`, [W, W]);
      s.set(`${p}${n}.bias`, [W]);
    }
    for (const n of ["ln1", "ln2"]) {
      s.set(`${p}${n}.weight`, [W]);
      s.set(`${p}${n}.bias`, [W]);
    }
    s.set(`${p}ffn_up.weight`, [W, c.ffn]);
    s.set(`${p}ffn_up.bias`, [c.ffn]);
    s.set(`${p}ffn_down.weight`, [c.ffn, W]);
    s.set(`${p}ffn_down.bias`, [W]);
  }
  return s;
}

/** Throws a `UserError` naming the first tensor that is missing or has the wrong shape. */
export function checkVisionShapes(src: ModelSource, c: VisionConfig): void {
  for (const [name, dims] of visionTensorShapes(c)) {
    const t = src.tensors.get(name);
    if (!t) throw new UserError("missing", `${src.name}: tensor "${name}" is missing`);
    const same = t.dims.length === dims.length && dims.every((d, i) => t.dims[i] === d);
    if (!same) throw new UserError("bad_file", `${src.name}: tensor "${name}" has shape [${t.dims}] (ggml order), expected [${dims}]`);
  }
}
