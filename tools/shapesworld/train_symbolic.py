"""Study: the language model alone, on symbolic image rows (what it can learn when the rows are perfect).

    python3 tools/shapesworld/train_symbolic.py --run /tmp/sw/sym --data /tmp/sw/data --steps 1000

Each image row is replaced by the sum of learned embeddings of what labels.query_labels says about its query's
cell: the type, colour and word / number of the object centred there, the cell's row and column, the object's
offset within the cell (eighths) and its size (32nds of the crop). No vision model runs, so a step costs only the
language model. This separates the two halves of the problem: how fast and how far the language model learns
the look-ups, counts, relations and coordinates from rows that hold the answer, and (by difference with
train_llm.py) what the vision side costs. --coord-digits 1 adds the hundreds and tens digits of the object's centre
and corners (0-1000 of the image) to the overview's rows: how fast points and boxes come when writing them is
copying. Same model config, tokenizer, prompt and validation as train_llm.py.
Writes <run>/ckpt.pt ({"model", "symbolic", "config", "step", ...}) at the end.
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
from data import Encoder, corpus_texts, export, load_groups  # noqa: E402
from labels import COLORS, COORD_DIGITS, IGNORE, KINDS, QUERY_CLASSES, WORDS, box_digits, query_boxes, query_labels  # noqa: E402
from model import Config, MiniCPMV  # noqa: E402
from slicing import crops_of  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402
from train_llm import lm_loss, pick_questions, prompt_batch, same_crop_count  # noqa: E402
import train as T  # noqa: E402


def class_words(table, j):
    """The word a query label class stands for (labels.query_labels' coding), or None."""
    if table == 0 and 1 <= j <= len(KINDS):
        return KINDS[j - 1]
    if table == 1 and 1 <= j <= len(COLORS):
        return COLORS[j - 1]
    if table == 2 and 1 <= j <= len(WORDS):
        return WORDS[j - 1]
    if table == 2 and j > len(WORDS):
        return str(j - len(WORDS) - 1)
    return None


def word_averages(tok, vocab):
    """Per label table, [n + 1, vocab]: row j averages the token ids of class j's word as an answer writes it
    ("red") and as a question does (" red"); zero for classes without a word, None for tables without words."""
    out = []
    for i, n in enumerate(QUERY_CLASSES):
        m = torch.zeros(n + 1, vocab)
        for j in range(n):
            w = class_words(i, j)
            if w is not None:
                for form in (w, " " + w):
                    ids = tok.encode(form)
                    m[j, ids] += 0.5 / len(ids)
        out.append(m if m.any() else None)
    return out


class SymbolicRows(torch.nn.Module):
    """[len(QUERY_CLASSES), n] query labels -> [n, D] rows: one embedding table per label (its last entry stands
    for IGNORE, "no such object here"), summed. With `words` (word_averages) the colour, kind and text classes also
    add their words' token embeddings (tied, read from `embed` at each call): a row then says "red circle" in the
    language model's own words, so looking it up from the question is matching tokens."""

    def __init__(self, D, words=None, embed=None, digits=False):
        super().__init__()
        # with `digits`, the labels carry COORD_DIGITS more rows (labels.box_digits): 10 classes each
        self.tables = torch.nn.ModuleList(torch.nn.Embedding(n + 1, D)
                                          for n in QUERY_CLASSES + ((10,) * COORD_DIGITS if digits else ()))
        for t in self.tables:
            torch.nn.init.normal_(t.weight, std=0.5 if words is None else 0.1)
        self.words, self._embed = words, [embed]   # a list: the language model owns the table, not this module

    def forward(self, labels):
        idx = [torch.where(y == IGNORE, t.num_embeddings - 1, y) for t, y in zip(self.tables, labels)]
        out = sum(t(y) for t, y in zip(self.tables, idx))
        if self.words is not None:
            out = out + sum(m[y] @ self._embed[0].weight for m, y in zip(self.words, idx[:len(QUERY_CLASSES)])
                            if m is not None)
        return out


class LabelCache:
    """Scene (by its image) -> (query labels of its crops [len(QUERY_CLASSES), n_crops * 64], slice grid), filled
    lazily. With `digits`, COORD_DIGITS more label rows: the hundreds and tens digits of the centre and corners of
    the overview crop's objects in 0-1000 of the image, as an answer writes them (IGNORE on the slices' rows, whose
    crop coordinates are not the image's)."""

    def __init__(self, digits=False):
        self.got, self.digits = {}, digits

    def get(self, g):
        if g["image"] not in self.got:
            crops, grid, maps = crops_of(Image.open(g["image"]).convert("RGB"), with_maps=True)
            hws = [(t.shape[1] // 14, t.shape[2] // 14) for t in crops]
            labels = torch.cat([query_labels(g["scene"], hw, m) for hw, m in zip(hws, maps)], dim=1)
            if self.digits:
                d = torch.full((COORD_DIGITS, labels.shape[1]), IGNORE, dtype=torch.long)
                d[:, :64] = box_digits(query_boxes(g["scene"], hws[0], maps[0]))
                labels = torch.cat([labels, d])
            self.got[g["image"]] = (labels, grid)
        return self.got[g["image"]]


def make_batch(cache, sym, scenes, enc, max_q, rng, attend):
    """{"parts": one prompt batch per group of scenes with the same crop count (train_llm.same_crop_count: no
    padded prefixes), each with its symbolic rows}."""
    got = [cache.get(g) for g in scenes]
    questions = [pick_questions(g["qa"], max_q, rng) for g in scenes]
    parts = []
    for part in same_crop_count(range(len(scenes)), scenes):
        batch = prompt_batch([enc.prefix(got[i][1]) for i in part], [questions[i] for i in part], enc,
                             [got[i][0][:len(QUERY_CLASSES)] for i in part] if attend else None)
        parts.append({**batch, "rows": sym(torch.cat([got[i][0] for i in part], dim=1))})
    return {"parts": parts}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--train-count", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3, help="question rounds per scene in the training export")
    ap.add_argument("--val-count", type=int, default=150)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--images", type=int, default=16)
    ap.add_argument("--questions", type=int, default=12)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--merges", type=int, default=400, help="BPE merges when --tokenizer is not given")
    ap.add_argument("--tokenizer", help="bpe.json to use (e.g. the shipped model's, so checkpoints are interchangeable)")
    ap.add_argument("--config", default='{"v_hidden":128,"v_layers":4,"v_heads":4,"v_ffn":512,"layers":6,"ffn":512}',
                    help="JSON overrides of model.Config (the vision part is built but not used)")
    ap.add_argument("--seed", type=int, default=41)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--attn-sup", type=float, default=0.0, help="weight of attention supervision: one head "
                    "(--attn-probe) is trained to attend, from every answer token, to the rows of the objects the "
                    "question names (referenced_rows)")
    ap.add_argument("--attn-probe", default="2,0", help="layer,head supervised by --attn-sup")
    ap.add_argument("--coord-digits", type=int, default=0, help="1: rows also carry the hundreds and tens digits of "
                    "their object's centre and corners (LabelCache), so writing a point or box is copying")
    ap.add_argument("--tie-words", type=int, default=0, help="1: rows also carry their classes' word embeddings "
                    "(SymbolicRows)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.run, exist_ok=True)
    groups = load_groups(*export("train", args.train_count, os.path.join(args.data, "train"), rounds=args.rounds))
    val_groups = load_groups(*export("validation", args.val_count, os.path.join(args.data, "validation")))
    tok = Tokenizer.load(args.tokenizer) if args.tokenizer else Tokenizer.train(corpus_texts(groups), args.merges)
    tok.save(os.path.join(args.run, "bpe.json"))
    cfg = Config(**json.loads(args.config))
    cfg.vocab = len(tok.tokens)
    enc = Encoder(tok, cfg.query_num)
    torch.manual_seed(args.seed)
    model = MiniCPMV(cfg)
    sym = SymbolicRows(cfg.hidden, word_averages(tok, cfg.vocab) if args.tie_words else None,
                       model.llm.model.embed_tokens if args.tie_words else None, bool(args.coord_digits))
    params = list(model.llm.parameters()) + list(sym.tables.parameters())
    opt = T.make_optimizer(params, args.lr)
    cache = LabelCache(bool(args.coord_digits))

    @torch.no_grad()
    def val_rows(gs):
        return sym(torch.cat([cache.get(g)[0] for g in gs], dim=1))

    T.log(f"LLM {sum(p.numel() for p in model.llm.parameters()) / 1e6:.2f} M params, vocab {cfg.vocab}, "
          f"{len(groups)} scenes, symbolic rows")
    rng = random.Random(args.seed)
    per_epoch = len(groups) // args.images
    t0, losses, att_losses = time.time(), [], []
    probe = tuple(int(v) for v in args.attn_probe.split(",")) if args.attn_sup > 0 else None
    for step in range(args.steps):
        epoch, k = divmod(step, per_epoch)
        order = list(range(len(groups)))
        random.Random(args.seed * 1000 + epoch).shuffle(order)
        lr = T.lr_at(step, args.lr, args.warmup, args.steps, 0.05)
        T.set_lr(opt, lr)
        batch = make_batch(cache, sym, [groups[i] for i in order[k * args.images: (k + 1) * args.images]], enc,
                           args.questions, rng, attend=probe is not None)
        loss, att = lm_loss(model, batch, probe)
        att = torch.zeros(()) if att is None else att
        opt.zero_grad(set_to_none=True)
        (loss + args.attn_sup * att).backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        losses.append(loss.item())
        att_losses.append(att.item())
        done = step + 1
        if done % 50 == 0:
            el = time.time() - t0
            T.log(f"step {done}/{args.steps} loss {np.mean(losses):.4f} attn {np.mean(att_losses):.3f} lr {lr:.1e} {el / 60:.1f} min ({el / done:.2f} s/step)")
            losses, att_losses = [], []
        if done % args.eval_every == 0 or done == args.steps:
            T.log(f"validation @ {done}: {T.fmt(T.evaluate(model, val_groups, enc, show=6, rows_of=val_rows))}")
    tmp = os.path.join(args.run, "ckpt.tmp")
    torch.save({"model": model.state_dict(), "symbolic": sym.state_dict(), "config": cfg.to_dict(), "step": args.steps,
                "elapsed": time.time() - t0, "stage": "symbolic", "args": vars(args)}, tmp)
    os.replace(tmp, os.path.join(args.run, "ckpt.pt"))
    T.log(f"done: {args.steps} steps, {(time.time() - t0) / 60:.1f} min")


if __name__ == "__main__":
    main()
