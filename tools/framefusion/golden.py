"""Golden for src/multimodal/video/framefusion.ts: drives the official FrameFusion module (thu-nics/FrameFusion,
framefusion/main.py, loaded from --main) through a scripted prefill and records what it keeps and merges.

    python3 tools/framefusion/golden.py --main /path/to/framefusion/main.py --out test/fixtures/framefusion/golden.json

The scene: 5 text rows, 4 "frames" of 6 rows (4 visual rows + 2 separators, as MiniCPM-V's `</image>\\n`),
4 text rows; hidden size 16. Visual rows repeat across frames with some noise, so some merge and some do
not. Between calls each row's hidden state moves by a fixed function of (position, layer); attention
weights of the last row are a fixed function of (head, position, layer). The module is called before
layer 0 and after every layer's attention (28 layers, the official default depth), as its decoder hooks do.
"""
import argparse
import importlib.util
import json
import math

import torch


def load(path):
    spec = importlib.util.spec_from_file_location("ff_main", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def drift(pos, layer, d):
    return torch.tensor([[0.05 * math.sin(0.37 * p + 0.11 * layer + 0.013 * j) for j in range(d)] for p in pos])


def attention(pos, layer, heads):
    logits = torch.tensor([[math.cos(0.5 * p + 0.7 * h + 0.3 * layer) * 3.0 for p in pos] for h in range(heads)])
    return logits.softmax(-1)[None, :, None, :]                       # [1, heads, 1, S]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--main", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    ff = load(args.main)
    g = torch.Generator().manual_seed(5)
    d, per, frames, pre, post, layers, heads = 16, 6, 4, 5, 4, 28, 2
    n = pre + per * frames + post
    base = torch.randn(per, d, generator=g)
    h = torch.randn(n, d, generator=g)
    noise = [0.2, 0.9, 0.3, 1.5, 0.1, 0.1]                            # per patch type: some similar, some not
    for f in range(frames):
        for p in range(per):
            h[pre + f * per + p] = base[p] + noise[p] * torch.randn(d, generator=g)
    patch_type = torch.full((1, n), -1, dtype=torch.long)
    patch_type[0, pre: pre + per * frames] = torch.arange(per * frames) % per
    cases = []
    for cost, sim in ((0.3, 0.7), (0.3, 0.95), (0.3, -0.5)):
        m = ff.FrameFusion(cost=cost, similarity_lower_bound=sim, ratio_lower_bound=0.1)
        m.prepare(patch_type.clone(), per, torch.tensor([pre]), torch.tensor([pre + per * frames - 1]),
                  torch.tensor([per * frames]), n)
        x = h.clone()[None]
        pos = list(range(n))
        steps = []

        def record(where, layer):
            steps.append({"where": where, "layer": layer, "positions": list(pos), "hidden": x[0].flatten().tolist(),
                          "sparsity": list(m.sparsity_list), "merging_done": bool(m.finish_merging),
                          "pruning_done": bool(m.finish_pruning)})

        def call(layer, weights):
            nonlocal x, pos
            pe = [torch.tensor(pos, dtype=torch.float32)[None, :, None].repeat(1, 1, 2)] * 2
            pe = [pe[0].clone(), pe[1].clone()]
            x, pe, _ = m(x, pe, None, weights)
            pos = [int(v) for v in pe[0][0, :, 0].tolist()]

        call(-1, None)
        record("beforeLayers", -1)
        for layer in range(layers):
            x = x + drift(pos, layer, d)[None]
            call(layer, attention(pos, layer, heads))
            record("afterAttention", layer)
            if m.finish_pruning and m.finish_merging:
                break
        cases.append({"cost": cost, "similarity": sim, "steps": steps})
    out = {"source": "thu-nics/FrameFusion framefusion/main.py (official), driven by tools/framefusion/golden.py",
           "hidden_size": d, "tokens_per_frame": per, "frames": frames, "first_frame_row": pre, "rows": n,
           "layers": layers, "heads": heads, "ratio_lower_bound": 0.1, "input": h.flatten().tolist(),
           "noise_per_patch_type": noise, "cases": cases}
    with open(args.out, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
