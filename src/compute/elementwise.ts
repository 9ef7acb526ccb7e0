/**
 * Small row-wise ops in plain JavaScript (cheap next to the matrix products; backends may override).
 * All work in place on row-major `[n, width]` Float32Arrays unless they return a new array.
 */

export function rmsNorm(x: Float32Array, n: number, width: number, weight: Float32Array | undefined, eps: number, out = x): Float32Array {
  for (let t = 0; t < n; t++) {
    const o = t * width;
    let ss = 0;
    for (let i = 0; i < width; i++) ss += x[o + i] * x[o + i];
    const scale = 1 / Math.sqrt(ss / width + eps);
    for (let i = 0; i < width; i++) out[o + i] = x[o + i] * scale * (weight ? weight[i] : 1);
  }
  return out;
}

export function layerNorm(x: Float32Array, n: number, width: number, weight: Float32Array, bias: Float32Array, eps: number, out = x): Float32Array {
  for (let t = 0; t < n; t++) {
    const o = t * width;
    let mean = 0;
    for (let i = 0; i < width; i++) mean += x[o + i];
    mean /= width;
    let varSum = 0;
    for (let i = 0; i < width; i++) { const d = x[o + i] - mean; varSum += d * d; }
    const inv = 1 / Math.sqrt(varSum / width + eps);
    for (let i = 0; i < width; i++) out[o + i] = (x[o + i] - mean) * inv * weight[i] + bias[i];
  }
  return out;
}

/** a += b (same length). */
export function addInPlace(a: Float32Array, b: Float32Array, scaleB = 1): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] += b[i] * scaleB;
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
