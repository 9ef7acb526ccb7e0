"""Train the tiny MiniCPM-V 4.5 ("ShapesWorld") on 2 CPU cores.

    nice -n 19 python3 tools/shapesworld/train.py --run runs/sw --data /tmp/shapesworld-data --steps 3000

Resumable: re-running the same command continues from <run>/ckpt.pt. Deterministic given --seed
(data order, init; PyTorch CPU kernels are deterministic at a fixed thread count).
"""
import argparse
import os

# Threads that spin while waiting burn the shared cores; sleep instead (must be set before torch loads).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import json
import math
import random
import re
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import AUX_SIZES, Encoder, build_batch, corpus_texts, crops_in, export, load_groups  # noqa: E402
from model import Config, MiniCPMV, prefix_forward, sincos_2d, suffix_forward  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402

TYPES = ["color", "shape", "count", "position", "relation", "reading", "yesno", "point", "box"]


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


# ---------------------------------------------------------------- scoring (mirror of score.ts)

def normalize(s):
    return re.sub(r"\s+", " ", re.sub(r"[.!]+$", "", s.strip().lower()))


def tag_numbers(s, tag):
    m = re.search(rf"<{tag}>([^<]*)</{tag}>", s)
    if not m:
        return None
    try:
        return [float(x) for x in re.split(r"[\s,]+", m.group(1).strip())]
    except ValueError:
        return None


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return 0.0 if u <= 0 else inter / u


def is_correct(r, pred):
    t = r.get("target")
    if r["type"] == "point" and t:
        p = tag_numbers(pred, "point")
        return p is not None and len(p) == 2 and t[0] <= p[0] <= t[2] and t[1] <= p[1] <= t[3]
    if r["type"] == "box" and t:
        b = tag_numbers(pred, "box")
        return b is not None and len(b) == 4 and iou(b, t) >= 0.5
    return normalize(pred) == normalize(r["answer"])


# ---------------------------------------------------------------- optimisation (shared by the trainers)

def make_optimizer(params, lr, faster=(), mult=1.0):
    """AdamW, weight decay 0.05 on matrices only (not on norms, biases, vectors). `faster`: more parameters
    whose learning rate is `mult` times the rest (set each step with set_lr)."""
    groups = []
    for ps, m in ((params, 1.0), (faster, mult)):
        groups += [{"params": [p for p in ps if p.dim() >= 2], "weight_decay": 0.05, "lr_mult": m},
                   {"params": [p for p in ps if p.dim() < 2], "weight_decay": 0.0, "lr_mult": m}]
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=lr, betas=(0.9, 0.98))


def fresh_model(cfg, pos_init_scale):
    """A new MiniCPMV whose NaViT position table starts as a 2-D sin-cos map of its grid x pos_init_scale (learned
    from there on): patches know where they are from the first step, which a random table took hundreds of
    steps to learn."""
    model = MiniCPMV(cfg)
    g = cfg.pos_grid
    table = torch.from_numpy(sincos_2d(cfg.v_hidden, g, g)).reshape(g * g, cfg.v_hidden)
    model.vpm.embeddings.position_embedding.weight.data.copy_(table * pos_init_scale)
    return model


def set_lr(opt, lr):
    for g in opt.param_groups:
        g["lr"] = lr * g.get("lr_mult", 1.0)


def lr_at(step, lr, warmup, steps, floor):
    """Linear warm-up, then cosine decay to floor * lr at `steps`."""
    return lr * min(1.0, (step + 1) / warmup) * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * step / steps)))


# ---------------------------------------------------------------- model steps

def cell_labels(labels, hw, q=64):
    """Patch labels [3, h*w] -> per-query labels [3, q]: query k owns cell k of a sqrt(q) x sqrt(q) grid of
    the crop; its label is the most frequent non-background label in the cell (background if none)."""
    g = int(round(q ** 0.5))
    h, w = hw
    ci = (torch.arange(h) * g // h)[:, None] * g + (torch.arange(w) * g // w)[None, :]
    out = torch.zeros(3, q, dtype=torch.long)
    for a in range(3):
        n = max(AUX_SIZES[a], int(labels[a].max()) + 1)
        counts = torch.zeros(q, n).index_put_((ci.flatten(), labels[a]), torch.ones(h * w), accumulate=True)
        counts[:, 0] = 0
        out[a] = torch.where(counts.sum(1) > 0, counts.argmax(1), torch.zeros(q, dtype=torch.long))
    return out


class AuxHeads(torch.nn.Module):
    """Training-only heads, not exported: dense labels (colour, kind, character) per vision patch, and the
    same labels per resampler query for a fixed 8x8 cell layout (so the 64 rows carry object and place)."""

    def __init__(self, d, D, cells, bg_weight=1.0):
        super().__init__()
        self.bg_weight = bg_weight
        self.heads = torch.nn.ModuleList(torch.nn.Linear(d, n) for n in AUX_SIZES)
        self.cells = cells
        self.qheads = torch.nn.ModuleList(torch.nn.Linear(D, n) for n in AUX_SIZES) if cells else None

    def loss(self, vis, valid, labels, rows, sizes):
        x = vis[valid]                                   # crop-major, raster order: same as the labels
        y = torch.cat(labels, dim=1)                     # [3, n_valid]
        loss = sum(self._ce(h(x), y[i]) for i, h in enumerate(self.heads)) / len(self.heads)
        if self.cells:
            yq = torch.cat([cell_labels(lab, hw, rows.shape[1]) for lab, hw in zip(labels, sizes)], dim=1)
            r = rows.reshape(-1, rows.shape[-1])
            loss = loss + sum(self._ce(h(r), yq[i]) for i, h in enumerate(self.qheads)) / len(self.qheads)
        return loss

    def _ce(self, logits, y):
        if self.bg_weight == 1.0:
            return F.cross_entropy(logits, y)
        w = torch.where(y > 0, 1.0, self.bg_weight)
        return (F.cross_entropy(logits, y, reduction="none") * w).sum() / w.sum()


def forward_loss(model, batch, aux_heads=None):
    vis, valid, sizes = model.vpm(batch["crops"])
    rows = model.resampler(vis, valid, sizes)
    aux = aux_heads.loss(vis, valid, batch["aux"], rows, sizes) if aux_heads is not None and batch["aux"] else None
    D = rows.shape[-1]
    emb = model.merge(batch["pre"], rows.reshape(-1, D), batch["img_pos"])
    cache = prefix_forward(model.llm, emb)
    semb = model.llm.model.embed_tokens(batch["suf"])
    h = suffix_forward(model.llm, cache, batch["plen"], batch["group"], semb)
    sel = batch["labels"] != -100
    logits = model.llm.lm_head(h[sel])
    return F.cross_entropy(logits, batch["labels"][sel]), aux


@torch.no_grad()
def generate(model, batch, enc, max_new=24, rows=None):
    """Greedy answers to the batch's questions; rows: the image rows to use instead of encoding its crops."""
    if rows is None:
        rows = model.encode_images(batch["crops"])
    emb = model.merge(batch["pre"], rows.reshape(-1, rows.shape[-1]), batch["img_pos"])
    cache = prefix_forward(model.llm, emb)
    prompts = [enc.suffix(r["question"])[0] for r in batch["qa"]]
    n = len(prompts)
    lens = torch.tensor([len(p) for p in prompts])
    suf = torch.zeros(n, int(lens.max()) + max_new, dtype=torch.long)
    for j, p in enumerate(prompts):
        suf[j, : len(p)] = torch.tensor(p)
    done = torch.zeros(n, dtype=torch.bool)
    out = [[] for _ in range(n)]
    for _ in range(max_new):
        width = int(lens.max())
        h = suffix_forward(model.llm, cache, batch["plen"], batch["group"], model.llm.model.embed_tokens(suf[:, :width]))
        last = h[torch.arange(n), lens - 1]
        nxt = model.llm.lm_head(last).argmax(-1)
        for j in range(n):
            if not done[j]:
                if int(nxt[j]) == enc.end:
                    done[j] = True
                else:
                    out[j].append(int(nxt[j]))
        suf[torch.arange(n), lens] = nxt
        lens = lens + (~done).long()
        if bool(done.all()):
            break
    return [enc.tok.decode(o) for o in out]


def evaluate(model, groups, enc, images_per_batch=8, show=0, rows_of=None):
    """Accuracy per question type; rows_of(groups) -> their image rows replaces the vision model if given. Scenes
    are batched by crop count (prefixes pad to the longest in a batch; most scenes are one crop)."""
    groups = sorted(groups, key=crops_in)
    model.eval()
    stats = {}
    shown = 0
    for i in range(0, len(groups), images_per_batch):
        batch = build_batch(groups[i: i + images_per_batch], enc)
        rows = None if rows_of is None else rows_of(groups[i: i + images_per_batch])
        preds = generate(model, batch, enc, rows=rows)
        for r, p in zip(batch["qa"], preds):
            ok = is_correct(r, p)
            s = stats.setdefault(r["type"], [0, 0])
            s[0] += ok
            s[1] += 1
            if not ok and shown < show:
                log(f"  miss [{r['type']}] {r['question']!r} want {r['answer']!r} got {p!r}")
                shown += 1
    model.train()
    total = sum(s[1] for s in stats.values())
    acc = {t: s[0] / s[1] for t, s in stats.items()}
    acc["overall"] = sum(s[0] for s in stats.values()) / max(1, total)
    acc["n"] = total
    return acc


def fmt(acc):
    keys = [t for t in TYPES if t in acc] + ["overall"]
    return " ".join(f"{k}={acc[k] * 100:.1f}" for k in keys) + f" (n={acc['n']})"


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True, help="run directory (checkpoints, tokenizer, logs)")
    ap.add_argument("--data", default="/tmp/shapesworld-data")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--images", type=int, default=4, help="images per step (all their questions)")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--train-count", type=int, default=16000)
    ap.add_argument("--val-count", type=int, default=120)
    ap.add_argument("--test-count", type=int, default=500)
    ap.add_argument("--merges", type=int, default=200)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--ckpt-minutes", type=float, default=3.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--aux", type=float, default=1.0, help="weight of the dense vision auxiliary loss (0: off)")
    ap.add_argument("--stop-at", type=int, default=None, help="stop (and checkpoint) at this step; the schedule still spans --steps")
    ap.add_argument("--rounds", type=int, default=1, help="question rounds per training scene")
    ap.add_argument("--fg-weight", type=float, default=1.0, help="aux loss weight of background patches relative to objects")
    ap.add_argument("--init-from", default=None, help="start from this checkpoint's weights (new optimizer and schedule)")
    ap.add_argument("--aux-cells", type=int, default=1, help="also supervise resampler queries as 8x8 cells (1/0)")
    ap.add_argument("--eval-only", choices=["validation", "test"], default=None)
    ap.add_argument("--config", default="{}", help="JSON overrides of model.Config")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    os.makedirs(args.run, exist_ok=True)
    train_dir = os.path.join(args.data, "train")
    val_dir = os.path.join(args.data, "validation")
    test_dir = os.path.join(args.data, "test")
    train_groups = load_groups(*export("train", args.train_count, train_dir, rounds=args.rounds))
    val_groups = load_groups(*export("validation", args.val_count, val_dir))

    tok_path = os.path.join(args.run, "bpe.json")
    if args.init_from and not os.path.exists(tok_path):
        import shutil
        shutil.copy(os.path.join(os.path.dirname(args.init_from), "bpe.json"), tok_path)  # same vocabulary
    if os.path.exists(tok_path):
        tok = Tokenizer.load(tok_path)
    else:
        tok = Tokenizer.train(corpus_texts(train_groups), args.merges)
        tok.save(tok_path)
    cfg = Config(**json.loads(args.config))
    cfg.vocab = len(tok.tokens)
    enc = Encoder(tok, cfg.query_num)

    torch.manual_seed(args.seed)
    model = MiniCPMV(cfg)
    aux_heads = AuxHeads(cfg.v_hidden, cfg.hidden, args.aux_cells, args.fg_weight) if args.aux > 0 else None
    params = list(model.parameters()) + (list(aux_heads.parameters()) if aux_heads else [])
    opt = make_optimizer(params, args.lr)
    ckpt_path = os.path.join(args.run, "ckpt.pt")
    step, elapsed = 0, 0.0
    if args.init_from and not os.path.exists(ckpt_path):
        ck = torch.load(args.init_from, weights_only=False)
        model.load_state_dict(ck["model"])
        if aux_heads is not None and ck.get("aux"):
            aux_heads.load_state_dict(ck["aux"])
        log(f"initialised from {args.init_from} (step {ck['step']}, {ck['elapsed'] / 60:.1f} min)")
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, weights_only=False)
        model.load_state_dict(ck["model"])
        if aux_heads is not None and ck.get("aux"):
            aux_heads.load_state_dict(ck["aux"])
        if not args.eval_only:  # (a train_llm.py run's optimizer holds the language model only)
            opt.load_state_dict(ck["opt"])
        step, elapsed = ck["step"], ck["elapsed"]
        log(f"resumed at step {step} ({elapsed / 60:.1f} min trained)")
    with open(os.path.join(args.run, "config.json"), "w") as f:
        json.dump({"model": cfg.to_dict(), "args": vars(args)}, f, indent=1)
    log(f"params {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M, vocab {cfg.vocab}, "
        f"train images {len(train_groups)}, val images {len(val_groups)}")

    if args.eval_only:
        groups = val_groups
        if args.eval_only == "test":
            groups = load_groups(*export("test", args.test_count, test_dir))
        acc = evaluate(model, groups, enc, show=20)
        log(f"{args.eval_only}: {fmt(acc)}")
        with open(os.path.join(args.run, f"{args.eval_only}-accuracy.json"), "w") as f:
            json.dump(acc, f, indent=1)
        return

    def order(epoch):
        rng = random.Random(args.seed * 1000 + epoch)
        idx = list(range(len(train_groups)))
        rng.shuffle(idx)
        return idx

    per_epoch = len(train_groups) // args.images
    last_ckpt = time.time()
    t_start = time.time() - elapsed
    losses, aux_losses = [], []

    def save():
        tmp = ckpt_path + ".tmp"
        torch.save({"model": model.state_dict(), "aux": aux_heads.state_dict() if aux_heads else None,
                    "opt": opt.state_dict(), "step": step,
                    "elapsed": time.time() - t_start, "config": cfg.to_dict()}, tmp)
        os.replace(tmp, ckpt_path)

    model.train()
    end = min(args.steps, args.stop_at or args.steps)
    while step < end:
        epoch, k = divmod(step, per_epoch)
        idx = order(epoch)[k * args.images: (k + 1) * args.images]
        batch = build_batch([train_groups[i] for i in idx], enc, with_aux=aux_heads is not None)
        lr = lr_at(step, args.lr, args.warmup, args.steps, 0.1)
        set_lr(opt, lr)
        loss, aux = forward_loss(model, batch, aux_heads)
        total = loss if aux is None else loss + args.aux * aux
        opt.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        losses.append(loss.item())
        aux_losses.append(0.0 if aux is None else aux.item())
        if step % 20 == 0 or step <= 3:
            el = time.time() - t_start
            log(f"step {step}/{args.steps} loss {np.mean(losses):.4f} aux {np.mean(aux_losses):.4f} lr {lr:.2e} "
                f"{el / 60:.1f} min ({el / step:.2f} s/step over the run)")
            losses, aux_losses = [], []
        if step % args.eval_every == 0 or step == end:
            log(f"validation @ {step}: {fmt(evaluate(model, val_groups, enc, show=5))}")
        if time.time() - last_ckpt > args.ckpt_minutes * 60 or step == end:
            save()
            last_ckpt = time.time()
    save()
    log(f"done: {step} steps, {(time.time() - t_start) / 60:.1f} min")


if __name__ == "__main__":
    main()
