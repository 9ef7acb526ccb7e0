import { dequantize } from "../../formats/gguf/dequantize.js";
import { ggmlRowBytes, type GGMLType } from "../../formats/gguf/ggml-types.js";
import { attentionJs } from "../attention-js.js";
import type { AttentionArgs, Backend, WeightMatrix } from "../backend.js";

interface JsWeight extends WeightMatrix {
  readonly f32: Float32Array;
}

/**
 * The reference backend: weights dequantized to f32 at load (ggml's `to_float`), products in plain
 * JavaScript with float64 accumulation. Slow, exact, single-threaded; the oracle other backends are
 * tested against, and what tiny models use when nothing faster is available.
 */
export class JsBackend implements Backend {
  readonly name = "js";
  readonly threads = 1;

  async createWeight(type: GGMLType, rows: number, cols: number, fill: (dst: Uint8Array) => Promise<void> | void): Promise<WeightMatrix> {
    const bytes = new Uint8Array(ggmlRowBytes(type, cols) * rows);
    await fill(bytes);
    const f32 = dequantize(type, bytes, rows * cols);
    return { type, rows, cols, f32 } as JsWeight;
  }

  matmul(w: WeightMatrix, x: Float32Array, n: number, bias?: Float32Array, out?: Float32Array): Float32Array {
    const { rows, cols, f32 } = w as JsWeight;
    const y = out ?? new Float32Array(n * rows);
    for (let t = 0; t < n; t++) {
      const xo = t * cols;
      for (let r = 0; r < rows; r++) {
        const wo = r * cols;
        let s = 0;
        for (let c = 0; c < cols; c++) s += f32[wo + c] * x[xo + c];
        y[t * rows + r] = bias ? s + bias[r] : s;
      }
    }
    return y;
  }

  getRows(w: WeightMatrix, ids: ArrayLike<number>, out?: Float32Array): Float32Array {
    const { cols, rows, f32 } = w as JsWeight;
    const y = out ?? new Float32Array(ids.length * cols);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!(id >= 0 && id < rows)) throw new RangeError(`row ${id} out of range [0, ${rows})`);
      y.set(f32.subarray(id * cols, (id + 1) * cols), i * cols);
    }
    return y;
  }

  attention(args: AttentionArgs): Float32Array {
    return attentionJs(args);
  }

  async dispose(): Promise<void> {}
}
