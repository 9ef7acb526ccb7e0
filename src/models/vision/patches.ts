/**
 * The patch embedding's input: a `[3, H, W]` crop cut into p × p patches in raster order, each flattened
 * in (channel, ky, kx) order — the layout of the conv kernel `[W, 3, p, p]`, so the stride-p convolution
 * is one matrix product. (The authors' `reshape_by_patch` strips are the same patches.)
 */
export function patchRows(pixels: Float32Array, height: number, width: number, p: number, out?: Float32Array): Float32Array {
  const ph = height / p;
  const pw = width / p;
  const cols = 3 * p * p;
  const rows = out ?? new Float32Array(ph * pw * cols);
  const plane = height * width;
  let o = 0;
  for (let py = 0; py < ph; py++) {
    for (let px = 0; px < pw; px++) {
      for (let c = 0; c < 3; c++) {
        for (let ky = 0; ky < p; ky++) {
          const src = c * plane + (py * p + ky) * width + px * p;
          for (let kx = 0; kx < p; kx++) rows[o++] = pixels[src + kx];
        }
      }
    }
  }
  return rows;
}
