/**
 * Small row-wise ops in plain JavaScript (cheap next to the matrix products; backends may override).
 * All work in place on row-major `[n, width]` Float32Arrays unless they return a new array.
 */

/*
 * The loops below go four values at a time and load all four before storing any: V8 (Node 20) re-checks
 * a typed array's map and re-reads its length after every store to another typed array, so loads grouped
 * between stores share one check (1.2-1.4x faster than the one-value loop here). The arithmetic per value
 * is unchanged; sums use four double partial sums (a different order of double adds: float rounding noise).
 */

/** Σ x[i]² over [from, to), in double. */
function sumOfSquares(x: Float32Array, from: number, to: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let i = from;
  for (; i + 3 < to; i += 4) {
    const a = x[i], b = x[i + 1], c = x[i + 2], d = x[i + 3];
    s0 += a * a; s1 += b * b; s2 += c * c; s3 += d * d;
  }
  for (; i < to; i++) s0 += x[i] * x[i];
  return (s0 + s1) + (s2 + s3);
}

/** out[o + i] = x[o + i] · scale · w[i] for i < width (w = 1 when absent). */
function scaleRow(x: Float32Array, out: Float32Array, o: number, width: number, scale: number, w: Float32Array | undefined): void {
  let i = 0;
  if (w) {
    for (; i + 3 < width; i += 4) {
      const j = o + i;
      const x0 = x[j], x1 = x[j + 1], x2 = x[j + 2], x3 = x[j + 3];
      const w0 = w[i], w1 = w[i + 1], w2 = w[i + 2], w3 = w[i + 3];
      out[j] = x0 * scale * w0; out[j + 1] = x1 * scale * w1; out[j + 2] = x2 * scale * w2; out[j + 3] = x3 * scale * w3;
    }
    for (; i < width; i++) out[o + i] = x[o + i] * scale * w[i];
  } else {
    for (; i + 3 < width; i += 4) {
      const j = o + i;
      const x0 = x[j], x1 = x[j + 1], x2 = x[j + 2], x3 = x[j + 3];
      out[j] = x0 * scale; out[j + 1] = x1 * scale; out[j + 2] = x2 * scale; out[j + 3] = x3 * scale;
    }
    for (; i < width; i++) out[o + i] = x[o + i] * scale;
  }
}

export function rmsNorm(x: Float32Array, n: number, width: number, weight: Float32Array | undefined, eps: number, out = x): Float32Array {
  for (let t = 0; t < n; t++) {
    const o = t * width;
    const scale = 1 / Math.sqrt(sumOfSquares(x, o, o + width) / width + eps);
    scaleRow(x, out, o, width, scale, weight);
  }
  return out;
}

export function layerNorm(x: Float32Array, n: number, width: number, weight: Float32Array, bias: Float32Array, eps: number, out = x): Float32Array {
  for (let t = 0; t < n; t++) {
    const o = t * width;
    const end = o + width;
    let m0 = 0, m1 = 0, m2 = 0, m3 = 0;
    let i = o;
    for (; i + 3 < end; i += 4) { m0 += x[i]; m1 += x[i + 1]; m2 += x[i + 2]; m3 += x[i + 3]; }
    for (; i < end; i++) m0 += x[i];
    const mean = ((m0 + m1) + (m2 + m3)) / width;
    let v0 = 0, v1 = 0, v2 = 0, v3 = 0;
    for (i = o; i + 3 < end; i += 4) {
      const d0 = x[i] - mean, d1 = x[i + 1] - mean, d2 = x[i + 2] - mean, d3 = x[i + 3] - mean;
      v0 += d0 * d0; v1 += d1 * d1; v2 += d2 * d2; v3 += d3 * d3;
    }
    for (; i < end; i++) { const d = x[i] - mean; v0 += d * d; }
    const inv = 1 / Math.sqrt(((v0 + v1) + (v2 + v3)) / width + eps);
    for (i = 0; i + 3 < width; i += 4) {
      const j = o + i;
      const x0 = x[j], x1 = x[j + 1], x2 = x[j + 2], x3 = x[j + 3];
      const w0 = weight[i], w1 = weight[i + 1], w2 = weight[i + 2], w3 = weight[i + 3];
      const b0 = bias[i], b1 = bias[i + 1], b2 = bias[i + 2], b3 = bias[i + 3];
      out[j] = (x0 - mean) * inv * w0 + b0; out[j + 1] = (x1 - mean) * inv * w1 + b1;
      out[j + 2] = (x2 - mean) * inv * w2 + b2; out[j + 3] = (x3 - mean) * inv * w3 + b3;
    }
    for (; i < width; i++) out[o + i] = (x[o + i] - mean) * inv * weight[i] + bias[i];
  }
  return out;
}

/** a += b·scaleB (same length). */
export function addInPlace(a: Float32Array, b: Float32Array, scaleB = 1): Float32Array {
  const n = a.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const a0 = a[i], a1 = a[i + 1], a2 = a[i + 2], a3 = a[i + 3];
    const b0 = b[i], b1 = b[i + 1], b2 = b[i + 2], b3 = b[i + 3];
    a[i] = a0 + b0 * scaleB; a[i + 1] = a1 + b1 * scaleB; a[i + 2] = a2 + b2 * scaleB; a[i + 3] = a3 + b3 * scaleB;
  }
  for (; i < n; i++) a[i] += b[i] * scaleB;
  return a;
}

export function scaleInPlace(a: Float32Array, s: number): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] *= s;
  return a;
}

/** GELU, tanh approximation (gelu_pytorch_tanh). */
export function geluTanhInPlace(a: Float32Array): Float32Array {
  const c = Math.sqrt(2 / Math.PI);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    a[i] = 0.5 * x * (1 + Math.tanh(c * (x + 0.044715 * x * x * x)));
  }
  return a;
}

/** gate = silu(gate) * up, elementwise. */
export function siluMulInPlace(gate: Float32Array, up: Float32Array): Float32Array {
  for (let i = 0; i < gate.length; i++) {
    const g = gate[i];
    gate[i] = (g / (1 + Math.exp(-g))) * up[i];
  }
  return gate;
}

/** Row-wise softmax in place over `[n, width]`. */
export function softmaxRows(x: Float32Array, n: number, width: number): Float32Array {
  for (let t = 0; t < n; t++) {
    const o = t * width;
    let max = -Infinity;
    for (let i = 0; i < width; i++) if (x[o + i] > max) max = x[o + i];
    let sum = 0;
    for (let i = 0; i < width; i++) { const e = Math.exp(x[o + i] - max); x[o + i] = e; sum += e; }
    for (let i = 0; i < width; i++) x[o + i] /= sum;
  }
  return x;
}
