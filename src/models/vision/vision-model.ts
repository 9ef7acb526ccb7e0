import type { Backend } from "../../compute/backend.js";
import type { ModelSource } from "../model-source.js";
import type { VisionConfig } from "./config.js";
import { Resampler, type CropFeatures, type ResamplerOutput } from "./resampler.js";
import { siglipForward, type TowerOptions, type VisionCrop } from "./siglip.js";
import { loadVisionWeights } from "./weights.js";

export interface EncodeOptions extends TowerOptions {
  /**
   * V4.5 video (3-D resampler): the frames' temporal ids (0.1 s steps), grouped; the groups partition the
   * crops in order and each group yields one `[Q, D]` output. -1 = no temporal code. Omitted: every crop
   * is its own group (images).
   */
  readonly temporalIds?: readonly (readonly number[])[];
  /** Also return each group's resampler cross-attention `[Q, keys]` (mean over heads). */
  readonly crossAttention?: boolean;
  /** Also return each crop's tower output `[patches, W]`. */
  readonly hiddenStates?: boolean;
}

export interface VisionEncoding {
  /** Per group (per crop for images) `[Q, outDim]` rows, ready to replace the placeholder rows. */
  readonly embeddings: Float32Array[];
  readonly crossAttention?: Float32Array[];
  readonly hiddenStates?: Float32Array[];
}

/** The MiniCPM-V vision side: NaViT SigLIP tower + perceiver resampler, over the Backend. */
export interface VisionModel {
  readonly config: VisionConfig;
  /** Crops (normalised CHW float32) → resampler outputs. */
  encode(crops: readonly VisionCrop[], opts?: EncodeOptions): VisionEncoding;
  /** The tower alone: each crop's last hidden state `[patches, W]`. */
  tower(crops: readonly VisionCrop[], opts?: TowerOptions): Float32Array[];
  /** The resampler alone over tower outputs, one output per group. */
  resample(groups: readonly (readonly CropFeatures[])[], opts?: { crossAttention?: boolean }): ResamplerOutput;
}

/** Groups crops by `temporalIds` (or one group per crop), attaching each crop's patch grid and id. */
function groupFeatures(c: VisionConfig, crops: readonly VisionCrop[], hidden: Float32Array[], temporalIds?: readonly (readonly number[])[]): CropFeatures[][] {
  const feature = (i: number, t: number): CropFeatures => ({
    hidden: hidden[i], h: crops[i].height / c.patchSize, w: crops[i].width / c.patchSize, temporalId: t,
  });
  if (!temporalIds) return crops.map((_, i) => [feature(i, -1)]);
  const total = temporalIds.reduce((s, g) => s + g.length, 0);
  if (total !== crops.length || temporalIds.some((g) => g.length === 0)) {
    throw new RangeError(`temporalIds cover ${total} crops in groups of [${temporalIds.map((g) => g.length)}], but there are ${crops.length} crops`);
  }
  let next = 0;
  return temporalIds.map((g) => g.map((t) => {
    if (!Number.isInteger(t) || t < -1) throw new RangeError(`temporal id ${t} must be an integer >= -1`);
    return feature(next++, t);
  }));
}

export async function loadVisionModel(src: ModelSource, config: VisionConfig, backend: Backend): Promise<VisionModel> {
  const weights = await loadVisionWeights(src, config, backend);
  const resampler = new Resampler(weights.resampler, config, backend);
  const tower = (crops: readonly VisionCrop[], opts?: TowerOptions) => siglipForward(weights, config, backend, crops, opts);
  return {
    config,
    tower,
    resample: (groups, opts) => resampler.run(groups, opts),
    encode(crops, opts = {}) {
      const hidden = tower(crops, opts);
      const out = resampler.run(groupFeatures(config, crops, hidden, opts.temporalIds), opts);
      return opts.hiddenStates ? { ...out, hiddenStates: hidden } : out;
    },
  };
}
