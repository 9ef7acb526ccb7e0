"""Stage 1: train the vision tower and the resampler alone, on dense targets (labels.py), from stage 0 (train_patches.py).

    python3 tools/shapesworld/train_vision.py --run /tmp/sw/vision --data /tmp/sw/data --init-from /tmp/sw/patches/ckpt.pt

Full crops exactly as the authors' processor makes them (overview + slices). Writes <run>/ckpt.pt (train.py's
checkpoint format; the LLM part stays at its random init, or is --symbolic's) every few minutes; re-running resumes.

--query-attn W supervises the resampler's attention itself (labels.query_attention_targets: each query onto the
object centred in its cell, or onto its cell): without it the queries have to discover the cell map through the
read-outs of their output (500 steps from a stage-0 tower: own row / column 34 / 51% without it, 84 / 91% with it).
--object-aux W adds train_llm's object-centric patch targets on the tower's output.
--symbolic CKPT: a language model trained on symbolic rows (train_symbolic.py) comes along, and the rows are pulled
onto the symbolic rows it reads, so the next stage (train_llm.py --vision RUN/ckpt.pt --init RUN/ckpt.pt) starts
from a language model that already does the look-ups.
"""
import os
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import argparse
import json
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
from labels import (IGNORE, PATCH_CLASSES, QUERY_CLASSES, object_chars, object_targets, patch_labels,  # noqa: E402
                    query_attention_targets, query_labels, shape_instances)
from model import Config, sincos_1d  # noqa: E402
from packed import encode_patches, resample  # noqa: E402
from slicing import crops_of  # noqa: E402
import train as T  # noqa: E402
from train_llm import ObjectHeads  # noqa: E402
from train_symbolic import SymbolicRows  # noqa: E402

QUERY_NAMES = ["type", "colour", "text", "row", "col", "dx", "dy", "w", "h"]


class DenseHeads(torch.nn.Module):
    """Linear read-outs (training only, never exported): per patch and per resampler query."""

    def __init__(self, d, D, bg_weight):
        super().__init__()
        self.bg_weight = bg_weight
        self.patch = torch.nn.ModuleList(torch.nn.Linear(d, n) for n in PATCH_CLASSES)
        self.query = torch.nn.ModuleList(torch.nn.Linear(D, n) for n in QUERY_CLASSES)

    def _ce(self, logits, y, weighted):
        if not weighted:
            return F.cross_entropy(logits, y, ignore_index=IGNORE)
        w = torch.where(y > 0, 1.0, self.bg_weight)
        return (F.cross_entropy(logits, y, reduction="none") * w).sum() / w.sum()

    def losses(self, x, r, patch_y, query_y):
        lp = [self._ce(h(x), patch_y[i], True) for i, h in enumerate(self.patch)]
        lq = [self._ce(h(r), query_y[i], i == 0) for i, h in enumerate(self.query)]
        return lp, lq

    @torch.no_grad()
    def accuracy(self, x, r, patch_y, query_y):
        """Per head: accuracy where the target is an object (patch heads: foreground; query heads: not IGNORE,
        and for 'type' object cells only)."""
        out = []
        for i, h in enumerate(self.patch):
            m = patch_y[i] > 0
            out.append(float((h(x[m]).argmax(-1) == patch_y[i][m]).float().mean()) if m.any() else float("nan"))
        obj = query_y[0] > 0
        for i, h in enumerate(self.query):
            m = obj & (query_y[i] != IGNORE)
            out.append(float((h(r[m]).argmax(-1) == query_y[i][m]).float().mean()) if m.any() else float("nan"))
        return out


def cell_query_init(resampler, scale, content_scale, n=8, grid=32):
    """Queries = the resampler's own 2-D sin-cos key position of their cell's centre in a 32 x 32-patch crop, and
    scaled-identity q/k projections: at step 0 each query already puts ~56% of its attention on its own cell
    (scale 2; 38% at scale 1.5; measured on random tower features; 1.6% when uniform), instead of having to
    discover the cell layout the dense targets ask for."""
    D = resampler.D
    centres = (np.arange(n) + 0.5) * grid / n - 0.5
    q = [np.concatenate([sincos_1d(D // 2, np.array([centres[j]])), sincos_1d(D // 2, np.array([centres[i]]))], 1)[0]
         for i in range(n) for j in range(n)]
    with torch.no_grad():
        resampler.query.copy_(torch.tensor(np.array(q), dtype=torch.float32))
        w = resampler.attn.in_proj_weight
        w[:D] = torch.eye(D) * scale
        w[D:2 * D] = torch.eye(D) * scale
        resampler.attn.in_proj_bias[: 2 * D].zero_()
        # Keys are ln_kv(content) + position. With a stage-0 tower the queries were slow to find their cells (own
        # row/column 20-30% at steps 100-175, with or without this); a smaller LN gain lets position lead at first
        # (the gain is learned). With it (0.25) and --resampler-lr-mult 4: 82/84% at step 800. Its own share of
        # that is not isolated.
        resampler.ln_kv.weight.fill_(content_scale)


def load_example(g, with_attention=False, with_objects=False, with_shapes=False, attend_own=False):
    img = Image.open(g["image"]).convert("RGB")
    crops, _, maps = crops_of(img, with_maps=True)
    pixels = np.asarray(img)
    py, qy, qa, ob, sh = [], [], [], [], []
    for t, cm in zip(crops, maps):
        hw = (t.shape[1] // 14, t.shape[2] // 14)
        py.append(patch_labels(g["scene"], pixels, hw, cm))
        qy.append(query_labels(g["scene"], hw, cm))
        if with_attention:
            qa.append(query_attention_targets(g["scene"], pixels, hw, cm, own=attend_own))
        if with_objects:
            ob.append(object_targets(g["scene"], pixels, hw, cm) + (object_chars(g["scene"], pixels, hw, cm),))
        if with_shapes:
            sh.append(shape_instances(g["scene"], pixels, hw, cm))
    return crops, py, qy, qa, ob, sh


def pool_shapes(x, shapes):
    """Patch features of packed crops [sum h*w, d] and their labels.shape_instances -> (the mean of each shape's
    own patches, per crop [n, d] float, its kind [n]), or None when no shape shows."""
    pooled, kinds, start = [], [], 0
    for inst, kind in shapes:
        feats = x[start: start + len(inst)]
        start += len(inst)
        for i in inst[inst >= 0].unique().tolist():
            pooled.append(feats[inst == i].float().mean(0))
            kinds.append(kind[i])
    return (torch.stack(pooled), torch.stack(kinds)) if pooled else None


def shape_pool_loss(head, x, shapes):
    """Cross-entropy of the kind read off the mean of each shape's patches (per crop): what a resampler query
    averaging a shape's patches has to carry, without asking every interior patch to know the silhouette."""
    got = pool_shapes(x, shapes)
    return x.sum() * 0 if got is None else F.cross_entropy(head(got[0]), got[1])


def symbolic_target(ck, cfg):
    """The frozen symbolic rows (train_symbolic.SymbolicRows) of a train_symbolic.py checkpoint whose language
    model matches cfg: query labels [9, n] -> the rows that language model learned to read [n, D]."""
    a, mine = ck["args"], cfg.to_dict()
    if a.get("tie_words") or a.get("coord_digits"):
        raise SystemExit("--symbolic: a checkpoint trained with --tie-words or --coord-digits is not supported")
    diff = [k for k, v in ck["config"].items() if k != "vocab" and mine.get(k) != v]
    if diff:
        raise SystemExit(f"--symbolic: its model config differs from --config in {diff}")
    sym = SymbolicRows(cfg.hidden)
    sym.load_state_dict(ck["symbolic"])
    for p in sym.parameters():
        p.requires_grad_(False)
    return sym


def attention_loss(logs, targets):
    """Cross-entropy of each query's attention (every head) against its target distribution, and the mean mass
    the attention puts where the target is non-zero."""
    ce = [-(lp * t[None]).sum(-1).mean() for lp, t in zip(logs, targets)]
    mass = [float((lp.detach().exp() * (t[None] > 0)).sum(-1).mean()) for lp, t in zip(logs, targets)]
    return sum(ce) / len(ce), sum(mass) / len(mass)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--train-count", type=int, default=20000)
    ap.add_argument("--steps", type=int, default=1800)
    ap.add_argument("--images", type=int, default=6, help="images per step (all their crops)")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--resampler-lr-mult", type=float, default=1.0,
                    help="learning rate of the resampler and its heads relative to --lr (a tower from stage 0 "
                    "needs a gentler rate than the fresh resampler)")
    ap.add_argument("--bg-weight", type=float, default=0.2)
    ap.add_argument("--query-weight", type=float, default=2.0, help="query-head losses relative to patch-head losses")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--config", default="{}", help="JSON overrides of model.Config")
    ap.add_argument("--pos-init-scale", type=float, default=0.5, help="amplitude of the sin-cos position init")
    ap.add_argument("--bf16", type=int, default=1, help="bfloat16 autocast (fp32 master weights); AMX CPUs run it "
                    "~10x faster than fp32")
    ap.add_argument("--query-init-scale", type=float, default=2.0, help="0: random queries (see cell_query_init)")
    ap.add_argument("--init-from", help="checkpoint of train_patches.py (stage 0) to start the tower from")
    ap.add_argument("--content-init-scale", type=float, default=0.25, help="initial gain of the resampler's ln_kv")
    ap.add_argument("--query-attn", type=float, default=0.0, help="weight of the resampler attention supervision "
                    "(labels.query_attention_targets): each query onto its cell's object, or its cell when empty")
    ap.add_argument("--attn-own", type=int, default=0, help="1: --query-attn targets on a shape's own-colour "
                    "patches and on an empty cell's free patches (query_attention_targets(own=True))")
    ap.add_argument("--object-aux", type=float, default=0.0, help="weight of the object-centric patch targets "
                    "(train_llm.ObjectHeads: every patch of an object names its type, colour, word / number and box)")
    ap.add_argument("--text-pool", type=float, default=0.0,
                    help="with --object-aux: the mean of each word's / number's patches names it (id and characters)")
    ap.add_argument("--shape-pool", type=float, default=0.0,
                    help="weight of the kind read off the mean of each shape's patches (shape_pool_loss)")
    ap.add_argument("--symbolic", help="a train_symbolic.py checkpoint (without --tie-words / --coord-digits): its "
                    "language model is carried in this run's checkpoint and the rows are pulled onto its symbolic "
                    "rows of the same query labels (relative squared error, --sym-weight), so that language model "
                    "can read them (symbolic_target)")
    ap.add_argument("--sym-weight", type=float, default=1.0, help="weight of the --symbolic row target")
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--ckpt-minutes", type=float, default=3.0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.run, exist_ok=True)
    groups = load_groups(*export("train", args.train_count, os.path.join(args.data, "train")))
    cfg = Config(**json.loads(args.config))
    sym, sym_ck = None, None
    if args.symbolic:
        sym_ck = torch.load(args.symbolic, weights_only=False)
        sym, cfg.vocab = symbolic_target(sym_ck, cfg), sym_ck["config"]["vocab"]
        shutil.copy(os.path.join(os.path.dirname(args.symbolic), "bpe.json"), os.path.join(args.run, "bpe.json"))
    torch.manual_seed(args.seed)
    model = T.fresh_model(cfg, args.pos_init_scale)
    if sym_ck is not None:
        model.llm.load_state_dict({k[4:]: v for k, v in sym_ck["model"].items() if k.startswith("llm.")})
    heads = DenseHeads(cfg.v_hidden, cfg.hidden, args.bg_weight)
    if args.init_from:
        init = torch.load(args.init_from, weights_only=False)
        model.vpm.load_state_dict({k[4:]: v for k, v in init["model"].items() if k.startswith("vpm.")})
        heads.patch.load_state_dict(init["patch_heads"])
    objects = ObjectHeads(cfg.v_hidden, text_pool_weight=args.text_pool) if args.object_aux > 0 else None
    pool_head = torch.nn.Linear(cfg.v_hidden, 5) if args.shape_pool > 0 else None
    if args.query_init_scale > 0:
        cell_query_init(model.resampler, args.query_init_scale, args.content_init_scale)
    tower = list(model.vpm.parameters()) + list(heads.patch.parameters()) + (list(objects.parameters()) if objects else [])
    tower += list(pool_head.parameters()) if pool_head else []
    rest = list(model.resampler.parameters()) + list(heads.query.parameters())
    params = tower + rest
    opt = T.make_optimizer(tower, args.lr, rest, args.resampler_lr_mult)
    ckpt_path = os.path.join(args.run, "ckpt.pt")
    step, elapsed = 0, 0.0
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, weights_only=False)
        model.load_state_dict(ck["model"])
        heads.load_state_dict(ck["dense_heads"])
        if objects and ck.get("object_heads"):
            objects.load_state_dict(ck["object_heads"])
        opt.load_state_dict(ck["opt"])
        step, elapsed = ck["step"], ck["elapsed"]
        T.log(f"resumed at step {step}")
    n_vis = sum(p.numel() for p in list(model.vpm.parameters()) + list(model.resampler.parameters()))
    T.log(f"vision + resampler {n_vis / 1e6:.2f} M params, {len(groups)} training images")

    def save():
        tmp = ckpt_path + ".tmp"
        torch.save({"model": model.state_dict(), "dense_heads": heads.state_dict(), "opt": opt.state_dict(),
                    "step": step, "elapsed": time.time() - t_start, "config": cfg.to_dict(),
                    "stage": "vision", "args": vars(args),
                    "object_heads": objects.state_dict() if objects else None}, tmp)
        os.replace(tmp, ckpt_path)

    per_epoch = len(groups) // args.images
    t_start = time.time() - elapsed
    last_ckpt = time.time()
    stats = []
    while step < args.steps:
        epoch, k = divmod(step, per_epoch)
        order = list(range(len(groups)))
        random.Random(args.seed * 1000 + epoch).shuffle(order)
        crops, py, qy, qa, ob, sh = [], [], [], [], [], []
        for i in order[k * args.images: (k + 1) * args.images]:
            c, p, q, a, o, z = load_example(groups[i], args.query_attn > 0, objects is not None, pool_head is not None,
                                            args.attn_own == 1)
            crops += c
            py += p
            qy += q
            qa += a
            ob += o
            sh += z
        patch_y = torch.cat(py, dim=1)
        query_y = torch.cat(qy, dim=1)
        lr = T.lr_at(step, args.lr, args.warmup, args.steps, 0.05)
        T.set_lr(opt, lr)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bool(args.bf16)):
            x, sizes = encode_patches(model, crops)
            if args.query_attn > 0:
                r, logs = resample(model, x, sizes, with_attention=True)
                att, mass = attention_loss(logs, qa)
            else:
                r, att, mass = resample(model, x, sizes), torch.zeros(()), float("nan")
            lp, lq = heads.losses(x, r, patch_y, query_y)
            obj = objects.loss(x, torch.cat([c for c, _, _ in ob], 1), torch.cat([b for _, b, _ in ob]),
                               torch.cat([ch for _, _, ch in ob], 1), sizes) if objects else torch.zeros(())
            pool = shape_pool_loss(pool_head, x, sh) if pool_head else torch.zeros(())
        if sym is not None:
            with torch.no_grad():
                want = sym(query_y)
            sym_loss = (r.float() - want).pow(2).mean() / want.pow(2).mean()
        else:
            sym_loss = torch.zeros(())
        loss = (sum(lp) / len(lp) + sum(lq) / len(lq) * args.query_weight + args.query_attn * att + args.object_aux * obj
                + args.shape_pool * pool + args.sym_weight * sym_loss)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        if step % max(1, args.log_every // 5) == 0:
            stats.append([loss.item(), float(obj.detach()), float(pool.detach()), float(sym_loss.detach()), mass] + heads.accuracy(x.detach().float(), r.detach().float(), patch_y, query_y))
        if step % args.log_every == 0 or step == args.steps:
            m = np.nanmean(np.array(stats), axis=0)
            el = time.time() - t_start
            names = ["attn.mass", "p.colour", "p.kind", "p.char"] + [f"q.{n}" for n in QUERY_NAMES]
            T.log(f"step {step}/{args.steps} loss {m[0]:.3f} obj {m[1]:.3f} pool {m[2]:.3f} sym {m[3]:.3f} "
                  + " ".join(f"{n} {v * 100:.0f}" for n, v in zip(names, m[4:]))
                + f" lr {lr:.1e} {el / 60:.1f} min ({el / step:.2f} s/step)")
            stats = []
        if time.time() - last_ckpt > args.ckpt_minutes * 60:
            save()
            last_ckpt = time.time()
    save()
    T.log(f"done: {step} steps, {(time.time() - t_start) / 60:.1f} min")


if __name__ == "__main__":
    main()
