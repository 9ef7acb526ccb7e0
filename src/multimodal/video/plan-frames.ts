/**
 * Which frames of a video MiniCPM-V 4.5 looks at, and how they are packed for its 3-D resampler: the
 * authors' `encode_video()` (their README's video example) without the decoding. Frames are sampled
 * uniformly at `chooseFps` (at most 180 slots); a longer video packs 2-3 frames per slot (one resampler
 * group, 64 tokens). A frame's temporal id is its timestamp snapped to a 0.1 s grid, in grid steps.
 */

export interface VideoPlanOptions {
  /** Frames per second to sample (authors' default 3). */
  readonly chooseFps?: number;
  /** Frames per resampler group, overriding the automatic choice (capped at `maxPacking`). */
  readonly forcePacking?: number;
  /** Slots (groups) at most before packing kicks in (authors: 180). */
  readonly maxSlots?: number;
  /** Frames per group at most (authors: 3). */
  readonly maxPacking?: number;
}

export interface VideoPlan {
  /** Indices of the frames to decode, ascending. */
  readonly frameIndices: number[];
  /** Temporal ids (0.1 s steps) of those frames, grouped: one resampler group (64 rows) per entry. */
  readonly temporalIds: number[][];
  readonly packing: number;
}

const TIME_SCALE = 0.1;

/** Python's round(): half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The timestamp snapped to the nearest point of numpy's `arange(0, duration, 0.1)` (whose k-th value is
 * exactly k * 0.1 in float64), divided by 0.1 and truncated as the authors' int32 cast does — which
 * gives k - 1 for some k (e.g. 4.3 / 0.1 = 42.99…).
 */
function temporalId(seconds: number, duration: number): number {
  const n = Math.ceil(duration / TIME_SCALE);
  let best = 0;
  let bestDist = Infinity;
  const guess = Math.floor(seconds / TIME_SCALE);
  for (let k = Math.max(0, guess - 1); k <= Math.min(n - 1, guess + 2); k++) {
    const d = Math.abs(k * TIME_SCALE - seconds);
    if (d < bestDist) { best = k; bestDist = d; }
  }
  return Math.trunc((best * TIME_SCALE) / TIME_SCALE);
}

/** The authors' frame selection and packing for a video of `numFrames` frames at `fps` (decoder's average). */
export function planVideoFrames(numFrames: number, fps: number, opts: VideoPlanOptions = {}): VideoPlan {
  if (!Number.isInteger(numFrames) || numFrames < 1) throw new RangeError(`numFrames must be a positive integer, got ${numFrames}`);
  if (!(fps > 0)) throw new RangeError(`fps must be positive, got ${fps}`);
  const chooseFps = opts.chooseFps ?? 3;
  if (!(chooseFps > 0)) throw new RangeError(`chooseFps must be positive, got ${chooseFps}`);
  const maxSlots = opts.maxSlots ?? 180;
  const maxPacking = opts.maxPacking ?? 3;
  const duration = numFrames / fps;

  let packing: number;
  let chosen: number;
  if (chooseFps * Math.trunc(duration) <= maxSlots) {
    packing = 1;
    chosen = roundHalfEven(Math.min(chooseFps, roundHalfEven(fps)) * Math.min(maxSlots, duration));
  } else {
    packing = Math.ceil((duration * chooseFps) / maxSlots);
    if (packing <= maxPacking) chosen = roundHalfEven(duration * chooseFps);
    else { chosen = roundHalfEven(maxSlots * maxPacking); packing = maxPacking; }
  }
  chosen = Math.max(1, chosen); // a clip shorter than one sampling step still shows one frame
  if (opts.forcePacking !== undefined) {
    if (!Number.isInteger(opts.forcePacking) || opts.forcePacking < 1) throw new RangeError(`forcePacking must be a positive integer, got ${opts.forcePacking}`);
    packing = Math.min(opts.forcePacking, maxPacking);
  }

  // uniform_sample: the centre of each of `chosen` equal bins
  const gap = numFrames / chosen;
  const frameIndices = Array.from({ length: chosen }, (_, i) => Math.trunc(i * gap + gap / 2));
  const ids = frameIndices.map((f) => temporalId(f / fps, duration));
  const temporalIds: number[][] = [];
  for (let i = 0; i < ids.length; i += packing) temporalIds.push(ids.slice(i, i + packing));
  return { frameIndices, temporalIds, packing };
}
