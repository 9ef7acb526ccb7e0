"""Teach a trained vision tower to read words and digits on whole crops, the rest of what it does kept.

    python3 tools/shapesworld/train_reading.py --init RUN/ckpt.pt --out DIR --data /tmp/sw/data --steps 600

Each step runs --batch whole crops that hold a text (the overview, or a slice holding some of one). The targets are the mean
of each text's patches naming its id and its characters (ObjectHeads' pool read-outs: what a resampler query that
averages the text's patches needs) and every text patch naming the id. Everything else the tower does is anchored
to the starting tower: the non-text patches must keep the starting tower's features (mean squared error), so the
resampler and the language model trained on them keep working.

With --drill, part of each step is reading drills (drill.py): crops of 4-8 words and digits drawn as the generator
draws them, so a step sees more texts for the same compute (at --drill 0.75 about 69 against 20).

Why whole crops and not windows cut around the texts (which would be ~10x cheaper per text): measured from stage 7,
a tower trained on text windows with 0-4 patches of margin (40 windows per step, 2.2 s/step on 1 thread) read 81%
of its training windows after 400 steps but only 26.6% of validation words and 8.9% of digits on whole crops (16.5 /
14.3 at step 200): the text patches learn to attend among themselves and a 1,000-patch crop washes that out.

Validation reads the texts of the validation scenes on their overview crops with the same read-outs. Writes
<out>/ckpt.pt in train_llm.py's format (model, aux read-outs, config, step, elapsed), usable as its --vision and --init.
"""
import os
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import argparse
import copy
import random
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import export, load_groups  # noqa: E402
from drill import drill_scene  # noqa: E402
from labels import IGNORE, OBJECT_CLASSES, WORDS, object_chars, object_targets  # noqa: E402
from model import Config, MiniCPMV  # noqa: E402
from slicing import crops_of  # noqa: E402
from train_llm import ObjectHeads, chars_ce, pooled_texts  # noqa: E402
import train as T  # noqa: E402

P = 14


def text_crops(g, slice_chance, rng, img=None):
    """A crop of scene g that holds a text (or, in a slice, part of one), with its per-patch text ids and characters:
    the overview, or (with probability slice_chance, when the scene is sliced) a slice that holds one -> (pixels [3, H, W], text id
    per patch [h*w] (IGNORE off texts), characters per patch [TEXT_SLOTS, h*w]); None if no crop holds a text."""
    img = Image.open(g["image"]).convert("RGB") if img is None else img
    crops, _, maps = crops_of(img, with_maps=True)
    pixels = np.asarray(img)
    order = [0] + rng.sample(range(1, len(crops)), len(crops) - 1)
    if len(crops) > 1 and rng.random() < slice_chance:
        order = order[1:] + [0]
    for k in order:
        hw = (crops[k].shape[1] // P, crops[k].shape[2] // P)
        cls, _ = object_targets(g["scene"], pixels, hw, maps[k])
        if (cls[2] != IGNORE).any():
            return crops[k], cls[2], object_chars(g["scene"], pixels, hw, maps[k])
    return None


@torch.no_grad()
def validate(vpm, heads, groups):
    """Words / digits named by the pool read-out on whole crops of the validation scenes: (words %, digits %, n)."""
    hit, n = {"w": 0, "d": 0}, {"w": 0, "d": 0}
    for g in groups:
        if not g["scene"]["texts"]:
            continue
        img = Image.open(g["image"]).convert("RGB")
        crops, _, maps = crops_of(img, with_maps=True)
        overview = crops[0]                                   # every text is whole in it
        cls, _ = object_targets(g["scene"], np.asarray(img), (overview.shape[1] // P, overview.shape[2] // P), maps[0])
        vis, valid, sizes = vpm([overview])
        got = pooled_texts(vis[valid], cls[2], torch.zeros(3, cls.shape[1], dtype=torch.long), sizes)
        if got is None:
            continue
        x, ids, _ = got
        pred = heads.pool_id(x).argmax(-1)
        for p, y in zip(pred.tolist(), ids.tolist()):
            k = "w" if y <= len(WORDS) else "d"                # labels.text_class: words first
            n[k] += 1
            hit[k] += int(p == y)
    return 100 * hit["w"] / max(1, n["w"]), 100 * hit["d"] / max(1, n["d"]), n["w"] + n["d"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--init", required=True, help="a train_llm.py checkpoint (its tower is trained, the rest kept)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--train-count", type=int, default=20000)
    ap.add_argument("--scenes", type=int, default=8000, help="the first N training scenes (those with a text are used)")
    ap.add_argument("--val-count", type=int, default=150)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--batch", type=int, default=16, help="crops per step")
    ap.add_argument("--slice-chance", type=float, default=0.3, help="of a sliced scene, train on a slice, not the overview")
    ap.add_argument("--drill", type=float, default=0.0,
                    help="fraction of a step's crops that are reading drills (drill.py: 4-8 texts, no shapes)")
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--anchor", type=float, default=1.0, help="weight of keeping the starting tower's non-text features")
    ap.add_argument("--patch-id", type=float, default=0.5, help="weight of every text patch naming the text")
    ap.add_argument("--eval-every", type=int, default=200)
    ap.add_argument("--seed", type=int, default=41)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    # carry the tokenizer along so the output is a complete --init for train_llm.py / export.py
    bpe = os.path.join(os.path.dirname(os.path.abspath(args.init)), "bpe.json")
    if not os.path.exists(bpe):
        ap.error(f"--init: no bpe.json next to {args.init}")
    os.makedirs(args.out, exist_ok=True)
    shutil.copyfile(bpe, os.path.join(args.out, "bpe.json"))

    ck = torch.load(args.init, weights_only=False)
    cfg = Config(**ck["config"])
    model = MiniCPMV(cfg)
    model.load_state_dict(ck["model"])
    heads = ObjectHeads(cfg.v_hidden, text_pool_weight=1.0)
    if ck.get("aux") is not None:
        heads.load_state_dict(ck["aux"], strict=False)
    teacher = copy.deepcopy(model.vpm).eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    vpm = model.vpm

    groups = load_groups(*export("train", args.train_count, os.path.join(args.data, "train")))[:args.scenes]
    val = load_groups(*export("validation", args.val_count, os.path.join(args.data, "validation")))
    groups = [g for g in groups if g["scene"]["texts"]]
    T.log(f"{len(groups)} training scenes with a text")

    def save(step):
        tmp = os.path.join(args.out, "ckpt.tmp")
        torch.save({"model": model.state_dict(), "aux": heads.state_dict(), "row_aux": None, "config": cfg.to_dict(),
                    "step": ck["step"], "elapsed": ck["elapsed"] + time.time() - t0,
                    "vision_steps": ck.get("vision_steps", 0), "stage": "reading", "reading_steps": step,
                    "args": vars(args)}, tmp)
        os.replace(tmp, os.path.join(args.out, "ckpt.pt"))

    params = list(vpm.parameters()) + list(heads.parameters())
    opt = T.make_optimizer(params, args.lr)
    stats = []
    t0 = time.time()
    n_drill = round(args.batch * args.drill)
    for step in range(1, args.steps + 1):
        lr = T.lr_at(step - 1, args.lr, args.warmup, args.steps, 0.1)
        T.set_lr(opt, lr)
        drills = [drill_scene(rng) for _ in range(n_drill)]
        batch = [b for b in [text_crops({"scene": s}, args.slice_chance, rng, img) for img, s in drills]
                 + [text_crops(groups[i], args.slice_chance, rng) for i in rng.sample(range(len(groups)), args.batch - n_drill)]
                 if b is not None]
        xs, ids, chars = zip(*batch)
        vpm.train()
        vis, valid, sizes = vpm(list(xs))
        feats = vis[valid]                                      # [sum h*w, d] in crop order
        ids, chars = torch.cat(ids), torch.cat(chars, 1)
        x, y, ch = pooled_texts(feats, ids, chars, sizes)
        id_logits = heads.pool_id(x)
        read = F.cross_entropy(id_logits, y) + chars_ce(heads.pool_chars(x), ch)
        on = ids != IGNORE
        patch_id = F.cross_entropy(heads.cls(feats[on]).split(OBJECT_CLASSES, 1)[2], ids[on])
        with torch.no_grad():
            ref, _, _ = teacher(list(xs))
        anchor = F.mse_loss(feats[~on], ref[valid][~on])
        loss = read + args.patch_id * patch_id + args.anchor * anchor
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        acc = float((id_logits.detach().argmax(-1) == y).float().mean())     # before this step's update
        stats.append([loss.item(), read.item(), patch_id.item(), anchor.item(), acc])
        if step % 25 == 0 or step == args.steps:
            m = np.mean(stats, axis=0)
            T.log(f"step {step}/{args.steps} loss {m[0]:.3f} read {m[1]:.3f} patch-id {m[2]:.3f} anchor {m[3]:.4f} "
                  f"train-acc {100 * m[4]:.0f} lr {lr:.1e} {(time.time() - t0) / 60:.1f} min ({(time.time() - t0) / step:.2f} s/step)")
            stats = []
        if step % args.eval_every == 0 or step == args.steps:
            vw, vd, vn = validate(vpm.eval(), heads, val)
            T.log(f"validation @ {step}: words {vw:.1f} digits {vd:.1f} (n={vn})")
            save(step)
    T.log("done")


if __name__ == "__main__":
    main()
