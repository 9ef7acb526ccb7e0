/**
 * Hooks, not forks: research methods (FrameFusion, TAG) and debugging tools observe and edit the
 * sequence between layers without copies of the forward pass. Every callback is optional.
 */
export interface LayerState {
  readonly layer: number;
  /** Rows currently in flight `[n, nEmbd]`. */
  readonly hidden: Float32Array;
  readonly n: number;
  /** Positions of those rows. */
  readonly positions: Int32Array;
}

/** What a hook may return to change the row set: keep these row indices (ascending), optionally with new values. */
export interface RowEdit {
  /** Indices (into the current rows) to keep, ascending. */
  readonly keep: Int32Array;
  /** Replacement hidden states for the kept rows `[keep.length, nEmbd]`, e.g. merged means. */
  readonly hidden?: Float32Array;
}

export interface ForwardHooks {
  /** Before layer 0 on the input embeddings (after embedding scaling). */
  beforeLayers?(state: LayerState): RowEdit | void;
  /** Inside layer `l`, after attention + residual and before the MLP (FrameFusion's point). */
  afterAttention?(state: LayerState): RowEdit | void;
  /** After layer `l` (residual stream out). */
  afterLayer?(state: LayerState): RowEdit | void;
  /** Ask for the attention probabilities of layer `l` (they cost memory: only when wanted). */
  wantsAttention?(layer: number): boolean;
  /** Attention probabilities of layer `l`: `[nHeads, nQ, nKV]` over the rows of this call and the cache. */
  attention?(layer: number, probs: Float32Array, nQ: number, nKV: number): void;
}
