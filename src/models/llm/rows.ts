import type { LayerState, RowEdit } from "./hooks.js";

/** The rows in flight through the layers: the residual stream `[n, width]` and each row's position. */
export interface Rows {
  readonly hidden: Float32Array;
  readonly n: number;
  readonly positions: Int32Array;
}

export function layerState(layer: number, rows: Rows): LayerState {
  return { layer, hidden: rows.hidden, n: rows.n, positions: rows.positions };
}

/** Applies a hook's RowEdit (validated: a programming error in a hook throws a RangeError). */
export function applyRowEdit(rows: Rows, width: number, edit: RowEdit | void, where: string): Rows {
  if (!edit) return rows;
  const { keep } = edit;
  const m = keep.length;
  for (let i = 0; i < m; i++) {
    const r = keep[i];
    if (!(Number.isInteger(r) && r >= 0 && r < rows.n)) throw new RangeError(`${where}: RowEdit.keep[${i}] = ${r} is not a row index in [0, ${rows.n})`);
    if (i > 0 && r <= keep[i - 1]) throw new RangeError(`${where}: RowEdit.keep must be strictly ascending (keep[${i}] = ${r} after ${keep[i - 1]})`);
  }
  if (edit.hidden && edit.hidden.length !== m * width) {
    throw new RangeError(`${where}: RowEdit.hidden has ${edit.hidden.length} values, expected ${m} rows × ${width}`);
  }
  const positions = new Int32Array(m);
  const hidden = new Float32Array(m * width);
  for (let i = 0; i < m; i++) {
    positions[i] = rows.positions[keep[i]];
    if (!edit.hidden) hidden.set(rows.hidden.subarray(keep[i] * width, (keep[i] + 1) * width), i * width);
  }
  if (edit.hidden) hidden.set(edit.hidden);
  return { hidden, n: m, positions };
}

/** Calls `fn(start, count)` for consecutive chunks of at most `size` rows covering `n`. */
export function forChunks(n: number, size: number, fn: (start: number, count: number) => void): void {
  for (let s = 0; s < n; s += size) fn(s, Math.min(size, n - s));
}
