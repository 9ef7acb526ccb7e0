"""Stage 0: teach the vision tower, from scratch, what is under each patch: colour, shape kind, character.

    python3 tools/shapesworld/train_patches.py --out /tmp/sw/patches --data /tmp/sw/data --steps 1500

Each example is a k x k-patch window (k = 5) of a real crop, centred on one patch, with the NaViT position
ids it has in that crop; only the centre patch is supervised. Why this and not the whole crop: trained on
whole crops (or on 10 x 10 windows with every patch supervised) the tower stayed at the colour-only answer
for 500+ steps (kind 45%, character 6%: nothing about shape learned), while with short windows and one
target each it leaves that plateau after ~500 steps (measured: kind 82%, character 68% at step 800, batch
128, 1 thread, ~6 minutes). Attention first learns to look at the neighbours here, where there are few.

On whole crops such a tower is still weak (kind 43%: attention over 1024 patches instead of 25 washes it out),
so it continues with --init on larger windows with every patch supervised (--k 11 then 21, --all-patches 1):
whole-crop kind 57% then 70% (400 steps of 32 windows, then 500 of 8, lr 5e-4).

Writes <out>/ckpt.pt: {"model", "config", "patch_heads", "step"}; train_vision.py --init-from continues.
"""
import os
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import argparse
import json
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import export, load_groups  # noqa: E402
from labels import PATCH_CLASSES, patch_labels  # noqa: E402
from model import Config, navit_position_ids  # noqa: E402
from slicing import crops_of  # noqa: E402
import train as T  # noqa: E402


def windows(g, k, bg_fraction, rng, stride=1):
    """Foreground-centred windows of one image's crops, every `stride`-th (+ a few background ones):
    (pixels [n, 3, 14k, 14k] f16, position ids [n, k*k], labels [n, 3, k*k]; -100 outside the crop)."""
    img = Image.open(g["image"]).convert("RGB")
    crops, _, maps = crops_of(img, with_maps=True)
    pixels = np.asarray(img)
    R = k // 2
    xs, ps, ys = [], [], []
    for t, cm in zip(crops, maps):
        h, w = t.shape[1] // 14, t.shape[2] // 14
        lab = patch_labels(g["scene"], pixels, (h, w), cm).view(3, h, w)
        pos = F.pad(navit_position_ids(h, w).view(h, w), (R, R, R, R))
        tp = F.pad(t, (14 * R,) * 4, value=1.0)                     # white beyond the crop, as padding
        lp = F.pad(lab, (R, R, R, R), value=-100)
        fg = (lab[1] > 0).nonzero().tolist()[::stride]
        bg = (lab[1] == 0).nonzero().tolist()
        for i, j in fg + rng.sample(bg, min(len(bg), int(len(fg) * bg_fraction) + 1)):
            xs.append(tp[:, i * 14:(i + k) * 14, j * 14:(j + k) * 14].half())
            ps.append(pos[i:i + k, j:j + k].flatten())
            ys.append(lp[:, i:i + k, j:j + k].reshape(3, k * k))
    return xs, ps, ys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--train-count", type=int, default=20000)
    ap.add_argument("--images", type=int, default=1500, help="images the windows are cut from")
    ap.add_argument("--k", type=int, default=5, help="window side in patches (odd)")
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--bg-fraction", type=float, default=0.15, help="background windows per foreground window")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--config", default="{}", help="JSON overrides of model.Config")
    ap.add_argument("--pos-init-scale", type=float, default=0.5)
    ap.add_argument("--log-every", type=int, default=100)
    ap.add_argument("--init", help="continue from this checkpoint of train_patches.py (e.g. with a larger --k)")
    ap.add_argument("--all-patches", type=float, default=0.0,
                    help="also supervise all the window's patches, with this weight (background patches x0.2)")
    ap.add_argument("--stride", type=int, default=1, help="use every n-th foreground patch as a window centre")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    groups = load_groups(*export("train", args.train_count, os.path.join(args.data, "train")))
    cfg = Config(**json.loads(args.config))
    model = T.fresh_model(cfg, args.pos_init_scale)
    heads = torch.nn.ModuleList(torch.nn.Linear(cfg.v_hidden, n) for n in PATCH_CLASSES)
    if args.init:
        init = torch.load(args.init, weights_only=False)
        model.load_state_dict(init["model"])
        heads.load_state_dict(init["patch_heads"])

    t0 = time.time()
    order = list(range(len(groups)))
    rng.shuffle(order)
    X, P, Y = [], [], []
    for n, i in enumerate(order[:args.images]):
        x, p, y = windows(groups[i], args.k, args.bg_fraction, rng, args.stride)
        X += x
        P += p
        Y += y
        if (n + 1) % 250 == 0:
            T.log(f"windows from {n + 1}/{args.images} images: {len(Y)}")
    X, P, Y = torch.stack(X), torch.stack(P), torch.stack(Y)
    T.log(f"{len(Y)} windows ({X.numel() * 2 / 1e9:.1f} GB) in {time.time() - t0:.0f} s")

    params = list(model.vpm.parameters()) + list(heads.parameters())
    opt = T.make_optimizer(params, args.lr)
    c = args.k * args.k // 2
    stats = []
    t0 = time.time()
    for step in range(1, args.steps + 1):
        lr = T.lr_at(step - 1, args.lr, 100, args.steps, 0.1)
        T.set_lr(opt, lr)
        b = torch.randint(len(Y), (args.batch,))
        vis, _, _ = model.vpm(list(X[b].float()), pos_ids=list(P[b]))
        x, y = vis[:, c], Y[b][:, :, c]
        # character: only where the centre is on a glyph (0 = "no character" is not a target)
        losses = [F.cross_entropy(heads[0](x), y[:, 0]), F.cross_entropy(heads[1](x), y[:, 1]),
                  F.cross_entropy(heads[2](x), y[:, 2], ignore_index=0) if (y[:, 2] > 0).any() else x.sum() * 0]
        loss = sum(losses)
        if args.all_patches > 0:
            xa, ya = vis.reshape(-1, vis.shape[-1]), Y[b].permute(1, 0, 2).reshape(3, -1)
            inside = ya[1] >= 0
            wgt = torch.where(ya[1] > 0, 1.0, 0.2) * inside
            for i, h in enumerate(heads):
                ce = F.cross_entropy(h(xa), ya[i].clamp(min=0), reduction="none")
                loss = loss + args.all_patches * (ce * wgt).sum() / wgt.sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        with torch.no_grad():
            fg, shape, glyph = y[:, 1] > 0, (y[:, 1] > 0) & (y[:, 1] < 6), y[:, 2] > 0
            acc = lambda i, m: float((heads[i](x[m]).argmax(-1) == y[m, i]).float().mean()) if m.any() else float("nan")
            stats.append([loss.item(), acc(0, fg), acc(1, fg), acc(1, shape), acc(2, glyph)])
        if step % args.log_every == 0 or step == args.steps:
            m = np.nanmean(np.array(stats), axis=0) * [1, 100, 100, 100, 100]
            T.log(f"step {step}/{args.steps} loss {m[0]:.3f} colour {m[1]:.0f} kind {m[2]:.0f} (shapes {m[3]:.0f}) "
                  f"char {m[4]:.0f} lr {lr:.1e} {(time.time() - t0) / 60:.1f} min")
            stats = []
    tmp = os.path.join(args.out, "ckpt.tmp")
    torch.save({"model": model.state_dict(), "config": cfg.to_dict(), "patch_heads": heads.state_dict(),
                "step": 0, "elapsed": time.time() - t0, "stage": "patches", "args": vars(args)}, tmp)
    os.replace(tmp, os.path.join(args.out, "ckpt.pt"))
    T.log("done")


if __name__ == "__main__":
    main()
