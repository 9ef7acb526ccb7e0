"""Where is an object's fine position lost? Probes fitted on training scenes, scored on validation (unsliced scenes):

  - each tower output patch -> its own position (linear)
  - each patch on an object -> the object's centre (linear, MLP)
  - the image row of the query whose 8 x 8 cell holds an object's centre -> that centre (linear, MLP), against
    the baseline of answering the cell's centre

Errors are median |error| per coordinate in MiniCPM-V's 0-1000 units (one patch of a 448 crop is ~31).

    python3 tools/shapesworld/probe_position.py --ckpt RUN/ckpt.pt --data DATA
"""
import argparse
import os
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import export, load_groups  # noqa: E402
from model import Config, MiniCPMV  # noqa: E402
from packed import packed_encode  # noqa: E402
from slicing import crops_of  # noqa: E402


@torch.no_grad()
def collect(model, groups):
    """-> patch features, their positions, object patches, their objects' centres, rows, centres, cell centres."""
    P, Ppos, Po, Pc, R, Rc, Rcell = [], [], [], [], [], [], []
    for g in groups:
        img = Image.open(g["image"]).convert("RGB")
        crops, grid = crops_of(img)
        if grid is not None:
            continue
        x, r = packed_encode(model, crops)
        h, w = crops[0].shape[1] // 14, crops[0].shape[2] // 14
        W, H = img.size
        ys, xs = np.meshgrid((np.arange(h) + 0.5) / h, (np.arange(w) + 0.5) / w, indexing="ij")
        xs, ys = xs.ravel(), ys.ravel()
        P.append(x.float().numpy())
        Ppos.append(np.stack([xs, ys], 1))
        for b in [o["box"] for o in g["scene"]["shapes"]] + [t["box"] for t in g["scene"]["texts"]]:
            cx, cy = (b[0] + b[2]) / 2 / W, (b[1] + b[3]) / 2 / H
            R.append(r[int(cy * 8) * 8 + int(cx * 8)].float().numpy())
            Rc.append([cx, cy])
            Rcell.append([(int(cx * 8) + 0.5) / 8, (int(cy * 8) + 0.5) / 8])
            inside = (xs * W >= b[0]) & (xs * W <= b[2]) & (ys * H >= b[1]) & (ys * H <= b[3])
            Po.append(x[torch.from_numpy(inside)].float().numpy())
            Pc.append(np.repeat([[cx, cy]], inside.sum(), 0))
    return [np.concatenate(a) for a in (P, Ppos, Po, Pc)] + [np.array(a) for a in (R, Rc, Rcell)]


def linear(Xa, Ya, Xb, lam=1e-2):
    Xa1, Xb1 = np.c_[Xa, np.ones(len(Xa))], np.c_[Xb, np.ones(len(Xb))]
    return Xb1 @ np.linalg.solve(Xa1.T @ Xa1 + lam * np.eye(Xa1.shape[1]), Xa1.T @ Ya)


def mlp(Xa, Ya, Xb, iters=3000):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(Xa.shape[1], 256), torch.nn.GELU(), torch.nn.Linear(256, 2))
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    Xa, Ya = torch.tensor(Xa), torch.tensor(Ya, dtype=torch.float)
    for _ in range(iters):
        i = torch.randint(0, len(Xa), (256,))
        loss = ((net(Xa[i]) - Ya[i]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return net(torch.tensor(Xb)).numpy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--train-scenes", type=int, default=400, help="probe fitting scenes (the last ones of the 20000)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ck = torch.load(args.ckpt, weights_only=False)
    model = MiniCPMV(Config(**ck["config"]))
    model.load_state_dict(ck["model"])
    model.eval()
    train = load_groups(*export("train", 20000, os.path.join(args.data, "train")))[-args.train_scenes:]
    val = load_groups(*export("validation", 150, os.path.join(args.data, "validation")))
    A, B = collect(model, train), collect(model, val)
    err = lambda p, y: float(np.median(np.abs(p - y)) * 1000)  # noqa: E731
    print(f"patch -> own position, linear      {err(linear(A[0], A[1], B[0]), B[1]):5.1f}")
    print(f"patch -> object centre, linear     {err(linear(A[2], A[3], B[2]), B[3]):5.1f}")
    print(f"patch -> object centre, MLP        {err(mlp(A[2], A[3], B[2]), B[3]):5.1f}")
    print(f"row -> object centre, cell centre  {err(B[6], B[5]):5.1f}")
    print(f"row -> object centre, linear       {err(linear(A[4], A[5], B[4]), B[5]):5.1f}")
    print(f"row -> object centre, MLP          {err(mlp(A[4], A[5], B[4]), B[5]):5.1f}")
    print(f"({len(A[4])} / {len(B[4])} objects, fit / scored)")


if __name__ == "__main__":
    main()
