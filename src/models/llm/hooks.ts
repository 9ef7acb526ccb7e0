/**
 * Hooks, not forks: research methods (FrameFusion, TAG) and debugging tools observe and edit the
 * sequence between layers without copies of the forward pass. Every callback is optional.
 */
export interface LayerState {
  /** The layer; -1 in `beforeLayers`. */
  readonly layer: number;
  /** Rows currently in flight `[n, nEmbd]`: the live residual stream (writes to it take effect). */
  readonly hidden: Float32Array;
  readonly n: number;
  /** Positions of those rows. */
  readonly positions: Int32Array;
}

/**
 * What a hook may return to change the row set: keep these row indices (ascending), optionally with
 * new values. Dropped rows leave the sequence for the rest of this forward call: later layers neither
 * compute them nor append them to their caches (the current layer's cache keeps them, as its
 * attention already used them). Kept rows keep their positions; the cache's nextPosition does not
 * change, so decoding continues after the original sequence.
 */
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
  /**
   * Ask for the attention probabilities of layer `l` (they cost memory: only when wanted). Without
   * this callback, `attention` receives every layer's.
   */
  wantsAttention?(layer: number): boolean;
  /**
   * Attention probabilities of layer `l`: `[nHeads, nQ, nKV]` for `nQ` consecutive rows in flight
   * (the layer runs in chunks: `at.qStart` is the index of the first of them) against every row of
   * that layer's cache (this call's rows included). Causally masked entries are 0.
   */
  attention?(layer: number, probs: Float32Array, nQ: number, nKV: number, at: AttentionSlice): void;
}

/** Where a block of attention probabilities sits. */
export interface AttentionSlice {
  /** Index, among the rows in flight, of the first query row. */
  readonly qStart: number;
  /** Positions of the `nQ` query rows. */
  readonly qPositions: Int32Array;
  /** Positions of the `nKV` key rows (the layer's cache, in order). */
  readonly kvPositions: Int32Array;
}
