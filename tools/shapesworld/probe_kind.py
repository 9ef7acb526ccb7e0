"""Study: where a stage-1 checkpoint loses what an object is (linear probes, nothing trained in the model).

    python3 tools/shapesworld/probe_kind.py --ckpt /tmp/sw/vision/ckpt.pt --data /tmp/sw/data

Two linear probes, fitted on --fit training scenes and scored on the first --score validation scenes:
  pooled: the mean of a shape's own-colour tower patches (labels.shape_instances) -> its kind (5 classes): what the
          tower knows about the shape;
  rows:   an object cell's image row (the resampler's output, the query whose cell holds the object's centre) ->
          its type (labels.query_labels: 5 kinds, word, number): what reaches the language model.
The gap between them is what the resampler's mix of patches loses.
"""
import os
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import argparse
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import export, load_groups  # noqa: E402
from model import Config  # noqa: E402
from packed import encode_patches, resample  # noqa: E402
import train as T  # noqa: E402
from train_vision import load_example, pool_shapes  # noqa: E402


@torch.no_grad()
def features(model, groups):
    """-> (pooled own patches [n, d], their kinds [n]; object-cell rows [m, D], their types [m] (1-7))."""
    pooled, kinds, rows, types = [], [], [], []
    for g in groups:
        crops, _, qy, _, _, shapes = load_example(g, with_shapes=True)
        x, sizes = encode_patches(model, crops)
        r = resample(model, x, sizes).float()
        t = torch.cat(qy, 1)[0]
        rows.append(r[t > 0])
        types.append(t[t > 0])
        got = pool_shapes(x, shapes)
        if got is not None:
            pooled.append(got[0])
            kinds.append(got[1])
    return torch.cat(pooled), torch.cat(kinds), torch.cat(rows), torch.cat(types)


def probe(fit_x, fit_y, score_x, score_y, steps=400):
    """Linear soft-max probe (standardised inputs, Adam, weight decay 1e-4) -> accuracy on the scored set."""
    mu, sd = fit_x.mean(0), fit_x.std(0) + 1e-5
    head = torch.nn.Linear(fit_x.shape[1], int(max(fit_y.max(), score_y.max())) + 1)
    opt = torch.optim.Adam(head.parameters(), 1e-2, weight_decay=1e-4)
    for _ in range(steps):
        loss = F.cross_entropy(head((fit_x - mu) / sd), fit_y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return float((head((score_x - mu) / sd).argmax(-1) == score_y).float().mean())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True, help="a train_vision.py (or later) checkpoint")
    ap.add_argument("--data", required=True)
    ap.add_argument("--fit", type=int, default=300, help="training scenes the probes are fitted on")
    ap.add_argument("--score", type=int, default=40, help="validation scenes they are scored on")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    ck = torch.load(args.ckpt, weights_only=False)
    cfg = Config(**ck["config"])
    model = T.fresh_model(cfg, 0.5)
    model.load_state_dict(ck["model"])
    model.eval()
    fit = features(model, load_groups(*export("train", 20000, os.path.join(args.data, "train")))[: args.fit])
    score = features(model, load_groups(*export("validation", 150, os.path.join(args.data, "validation")))[: args.score])
    print(f"pooled own patches -> kind: {probe(fit[0], fit[1], score[0], score[1]) * 100:.1f}% ({len(score[1])} shapes)")
    print(f"object cell's row -> type:  {probe(fit[2], fit[3], score[2], score[3]) * 100:.1f}% ({len(score[3])} cells)")


if __name__ == "__main__":
    main()
