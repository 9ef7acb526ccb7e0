"""Golden for src/grounding/tag.ts: runs the official TAG grounding (HeimingX/TAG, core_utils/tag.py, loaded from
--tag; its plotting imports are stubbed) on synthetic attentions and records its maps and boxes.

    python3 tools/tag/golden.py --tag /path/to/core_utils/tag.py --out test/fixtures/tag/golden.json

Cases: an unsliced image (the overview is the map) and a 2 x 2 sliced one (the slices' maps stitched);
4 layers x 3 heads, 8 queries per crop, two query tokens; the attention and cross-attention are random
with a planted peak, so thresholding leaves a few regions.
"""
import argparse
import importlib.util
import json
import sys
import types

import numpy as np
import torch
from PIL import Image


def load(path):
    for name in ("cv2", "matplotlib", "matplotlib.pyplot", "matplotlib.patches", "mpl_toolkits", "mpl_toolkits.axes_grid1"):
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules["mpl_toolkits.axes_grid1"].make_axes_locatable = None
    spec = importlib.util.spec_from_file_location("tag_main", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def case(tag, rng, crops_hw, grid, original_size, layers=4, heads=3, q=8, prefix=5):
    """crops_hw: patch grids (h, w) of the overview then the slices."""
    bounds, at = [], prefix
    for _ in crops_hw:
        bounds.append([at, at + q])
        at += q + 2
    S = at + 6
    query_idx = [S - 3, S - 2]
    attn = rng.random((layers, heads, S, S)).astype(np.float32) ** 4
    attn /= attn.sum(-1, keepdims=True)
    attn = attn.round(7)
    maxp = max(h * w for h, w in crops_hw)
    cross = rng.random((len(crops_hw), q, maxp)).astype(np.float32) ** 6
    for c, (h, w) in enumerate(crops_hw):                                   # a planted peak per crop
        cross[c, :, (h // 2) * w + w // 3] += 2.0
        cross[c, :, h * w:] = 0
    cross /= cross.sum(-1, keepdims=True)
    cross = cross.round(6)
    self_attentions = [[torch.from_numpy(attn[l])[None] for l in range(layers)]]
    slice_images = [Image.new("RGB", (w * 14, h * 14)) for h, w in crops_hw]
    if grid is None:
        high = slice_images[0]
    else:
        high = Image.new("RGB", (crops_hw[1][1] * 14 * grid[0], crops_hw[1][0] * 14 * grid[1]))
    out = tag.forward(self_attentions, torch.from_numpy(cross), None, [bounds], slice_images, grid, high,
                      Image.new("RGB", original_size), query_idx)
    hm = out["high_res_attn_map"][::14, ::14]                               # [x][y] per patch
    # query_attention: [token][layer][head][rows]
    return {"layers": layers, "heads": heads, "rows": S, "query_rows": query_idx, "bounds": bounds,
            "crops_hw": [list(c) for c in crops_hw], "grid": grid, "original_size": list(original_size),
            "query_attention": attn[:, :, query_idx, :].transpose(2, 0, 1, 3).flatten().tolist(), "cross": cross.flatten().tolist(), "max_patches": maxp,
            "high_res_map_xy": hm.flatten().tolist(), "high_res_patches_wh": list(hm.shape),
            "boxes": [[[float(v) for v in b], float(c)] for b, c in out["final_bbox"]]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tag", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    mod = load(args.tag)
    tag = mod.AttentionDrivenGrounding(tokenizer=None, topk_layer_head=5, filter_thresold=0.5)
    rng = np.random.default_rng(11)
    cases = [case(tag, rng, [(6, 9)], None, (300, 200)),
             case(tag, rng, [(5, 7), (4, 6), (4, 6), (4, 6), (4, 6)], [2, 2], (500, 370))]
    with open(args.out, "w") as f:
        json.dump({"source": "HeimingX/TAG core_utils/tag.py (official), driven by tools/tag/golden.py",
                   "top_heads": 5, "threshold": 0.5, "cases": cases}, f)


if __name__ == "__main__":
    main()
