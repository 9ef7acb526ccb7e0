"""Vision warm-up: train the SigLIP tower alone on windows cut from the preprocessed crops.

Each window (k x k patches, centred on an object most of the time) keeps the pixels and the NaViT position
ids it has inside its full crop, so the tower sees exactly what it sees at inference, but with short
attention: ~20x cheaper per supervised patch than full 448-px crops. Targets are the dense per-patch labels
(colour, kind, character). Writes a checkpoint that train.py --init-from continues end to end.

    nice -n 19 python3 tools/shapesworld/pretrain_vision.py --init /tmp/sw-p2/ckpt.pt --out /tmp/sw-vis --steps 1500
"""
import os
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import argparse
import random
import sys
import time

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import export, load_groups, patch_labels  # noqa: E402
from model import Config, MiniCPMV, navit_position_ids  # noqa: E402
from slicing import crops_of  # noqa: E402
import train as T  # noqa: E402


def windows_of(g, k, rng, per_image):
    img = Image.open(g["image"]).convert("RGB")
    crops, _, maps = crops_of(img, with_maps=True)
    pixels = np.asarray(img)
    out = []
    for ci, (t, cm) in enumerate(zip(crops, maps)):
        h, w = t.shape[1] // 14, t.shape[2] // 14
        lab = patch_labels(g["scene"], pixels, (h, w), cm).view(3, h, w)
        pos = navit_position_ids(h, w).view(h, w)
        fg = (lab[0] > 0).nonzero().tolist()
        n = per_image if ci == 0 else max(1, per_image // 2)
        for _ in range(n):
            if fg and rng.random() < 0.85:
                cy, cx = rng.choice(fg)
            else:
                cy, cx = rng.randrange(h), rng.randrange(w)
            kh, kw = min(k, h), min(k, w)
            y0 = min(max(0, cy - kh // 2 + rng.randint(-2, 2)), h - kh)
            x0 = min(max(0, cx - kw // 2 + rng.randint(-2, 2)), w - kw)
            win = t[:, y0 * 14:(y0 + kh) * 14, x0 * 14:(x0 + kw) * 14]
            out.append((win, pos[y0:y0 + kh, x0:x0 + kw].flatten(), lab[:, y0:y0 + kh, x0:x0 + kw].reshape(3, -1)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--init", required=True, help="checkpoint to start from (train.py format)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", default="/tmp/shapesworld-data")
    ap.add_argument("--train-count", type=int, default=16000)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--windows", type=int, default=48, help="windows per step")
    ap.add_argument("--k", type=int, default=10, help="window side in patches")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--fg-weight", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    groups = load_groups(*export("train", args.train_count, os.path.join(args.data, "train")))
    ck = torch.load(args.init, weights_only=False)
    cfg = Config(**ck["config"])
    model = MiniCPMV(cfg)
    model.load_state_dict(ck["model"])
    aux = T.AuxHeads(cfg.v_hidden, cfg.hidden, 1, args.fg_weight)
    if ck.get("aux"):
        aux.load_state_dict(ck["aux"])
    params = list(model.vpm.parameters()) + list(aux.heads.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, betas=(0.9, 0.98), weight_decay=0.01)
    order = list(range(len(groups)))
    rng.shuffle(order)
    cursor, buf = 0, []
    t0 = time.time()
    stats = []
    for step in range(1, args.steps + 1):
        while len(buf) < args.windows:
            buf += windows_of(groups[order[cursor % len(order)]], args.k, rng, 4)
            cursor += 1
        batch, buf = buf[: args.windows], buf[args.windows:]
        lr = args.lr * min(1.0, step / 50) * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * step / args.steps)))
        for g in opt.param_groups:
            g["lr"] = lr
        vis, valid, sizes = model.vpm([b[0] for b in batch], pos_ids=[b[1] for b in batch])
        x = vis[valid]
        y = torch.cat([b[2] for b in batch], dim=1)
        loss = sum(aux._ce(h(x), y[i]) for i, h in enumerate(aux.heads)) / 3
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        with torch.no_grad():
            accs = []
            for i, h in enumerate(aux.heads):
                fg = y[i] > 0
                accs.append(float((h(x[fg]).argmax(-1) == y[i][fg]).float().mean()) if fg.any() else float("nan"))
        stats.append([loss.item()] + accs)
        if step % 50 == 0 or step == args.steps:
            m = np.nanmean(np.array(stats), axis=0)
            T.log(f"step {step}/{args.steps} loss {m[0]:.4f} fg acc colour {m[1]*100:.1f} kind {m[2]*100:.1f} "
                  f"char {m[3]*100:.1f} lr {lr:.2e} {(time.time() - t0) / 60:.1f} min")
            stats = []
        if step % 300 == 0 or step == args.steps:
            ck2 = dict(ck)
            ck2.update({"model": model.state_dict(), "aux": aux.state_dict(), "step": ck["step"],
                        "vision_pretrain_steps": step, "elapsed": ck["elapsed"] + time.time() - t0})
            ck2.pop("opt", None)
            torch.save(ck2, os.path.join(args.out, "ckpt.tmp"))
            os.replace(os.path.join(args.out, "ckpt.tmp"), os.path.join(args.out, "vision.pt"))
    import shutil
    shutil.copy(os.path.join(os.path.dirname(args.init), "bpe.json"), os.path.join(args.out, "bpe.json"))


if __name__ == "__main__":
    main()
