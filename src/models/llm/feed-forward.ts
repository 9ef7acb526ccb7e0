import { addInPlace, rmsNorm, siluMulInPlace } from "../../compute/elementwise.js";
import { work, type Chunk, type LayerContext } from "./attention.js";
import type { LayerWeights } from "./weights.js";

/** SwiGLU feed-forward, added to the residual stream in place: x += residualScale · Wdown·(silu(Wgate·n) ⊙ Wup·n), n = norm(x). */
export function feedForward(ctx: LayerContext, w: LayerWeights, c: Chunk): void {
  const { backend, config } = ctx;
  const xn = rmsNorm(c.x, c.n, config.nEmbd, w.ffnNorm, config.rmsEps, work(ctx, "xn", c.x.length));
  if (backend.swiglu && !w.bGate && !w.bUp && !w.bDown) {
    addInPlace(c.x, backend.swiglu(w.gate, w.up, w.down, xn, c.n, work(ctx, "out", c.n * w.down.rows)), config.residualScale);
    return;
  }
  const gate = backend.matmul(w.gate, xn, c.n, w.bGate, work(ctx, "gate", c.n * w.gate.rows));
  const up = backend.matmul(w.up, xn, c.n, w.bUp, work(ctx, "up", c.n * w.up.rows));
  if (backend.siluMul) backend.siluMul(gate, up);
  else siluMulInPlace(gate, up);
  const out = backend.matmul(w.down, gate, c.n, w.bDown, work(ctx, "out", c.n * w.down.rows));
  addInPlace(c.x, out, config.residualScale);
}
