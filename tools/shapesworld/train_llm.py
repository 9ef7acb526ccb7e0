"""Stage 2: train the language model on the frozen vision tower + resampler of stage 1.

    nice -n 19 python3 tools/shapesworld/train_llm.py --vision /tmp/sw/vision/ckpt.pt --run /tmp/sw/llm \
        --data /tmp/sw/data --steps 6000

The image rows of a scene are computed once (no gradient) the first time the scene comes up and kept in memory
(float16), so later epochs cost only the language model. With --resampler-lr-mult > 0 (a later stage, from
--init), the tower's patch features are kept instead and the resampler is trained with the language model;
with --tower-blocks K too, the features entering the tower's last K blocks are kept and those blocks train
(at the resampler's learning rate); --patch-aux W adds object-centric targets on the tower's output patches
(labels.object_targets: every patch of an object names its type, colour, word / number and box).
--text-pool W adds, within --patch-aux, a read-out of the mean of each word's / number's patches (its id and
characters).
--attn-sup W (lookup.py) pulls one head of the language model onto the rows of the objects the question names;
--lm-weight 0 trains only the read-outs (the language model is not run).
Each step: --images scenes, up to --questions of their questions each, the prompt exactly as inference builds
it (ChatML, V4.5 image placeholder, thinking off).
Writes <run>/ckpt.pt + bpe.json (train.py / export.py format) every few minutes; re-running resumes.
"""
import os
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import argparse
import random
import re
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import Encoder, corpus_texts, crops_in, export, load_groups, suffix_tensors  # noqa: E402
from model import Config, MiniCPMV, prefix_forward, suffix_forward  # noqa: E402
from slicing import crops_of, grid_crops  # noqa: E402
from tokenizer import Tokenizer  # noqa: E402
from packed import encode_patches, finish_patches, packed_encode, resample  # noqa: E402
from labels import (CHARS, COORD_DIGITS, IGNORE, OBJECT_CLASSES, QUERY_CLASSES, TEXT_SLOTS, box_digits,  # noqa: E402
                    object_chars, object_targets, query_boxes, query_chars, query_labels)
from lookup import attention_loss, referenced_rows  # noqa: E402
import train as T  # noqa: E402


class RowCache:
    """Scene index -> (image rows [n_crops * 64, D] float16, slice grid), filled lazily; with `patches`, the
    tower's patch features instead ([sum h*w, d] float16, crop grids, slice grid) for a trainable resampler
    (with `stop` = k: the residual stream entering tower block k, for trainable blocks k..)."""

    def __init__(self, model, groups, bf16, patches=False, stop=None, targets=False, row_targets=False):
        self.model, self.groups, self.rows, self.bf16, self.patches, self.stop = model, groups, {}, bf16, patches, stop
        self.targets, self.row_targets = targets, row_targets
        self.labels, self.row_labels = {}, {}

    @torch.no_grad()
    def get(self, i):
        if i not in self.rows:
            img = Image.open(self.groups[i]["image"]).convert("RGB")
            crops, grid, maps = crops_of(img, with_maps=True)
            scene, hws = self.groups[i]["scene"], [(t.shape[1] // 14, t.shape[2] // 14) for t in crops]
            if self.targets:
                pixels = np.asarray(img)
                got = [object_targets(scene, pixels, hw, m) for hw, m in zip(hws, maps)]
                self.labels[i] = (torch.cat([c for c, _ in got], dim=1), torch.cat([b for _, b in got]),
                                  torch.cat([object_chars(scene, pixels, hw, m) for hw, m in zip(hws, maps)], dim=1))
            if self.row_targets:
                self.row_labels[i] = (torch.cat([query_labels(scene, hw, m)[:3] for hw, m in zip(hws, maps)], dim=1),
                                      torch.cat([query_boxes(scene, hw, m) for hw, m in zip(hws, maps)]),
                                      torch.cat([query_chars(scene, hw, m) for hw, m in zip(hws, maps)], dim=1))
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
                if self.patches:
                    x, sizes = encode_patches(self.model, crops, self.stop)
                    self.rows[i] = (x.half(), sizes, grid)
                else:
                    _, r = packed_encode(self.model, crops)
                    self.rows[i] = (r.half(), grid)
        return self.rows[i]


def image_rows(cache, idx):
    """-> (image rows of the scenes idx, in order, [sum n_crops * 64, D], their slice grids, the tower's output
    patches when its blocks train, else None)."""
    got = [cache.get(i) for i in idx]
    if not cache.patches:
        return torch.cat([r.float() for r, _ in got]), [g for _, g in got], None
    x = torch.cat([p.float() for p, _, _ in got])
    sizes = [s for _, ss, _ in got for s in ss]
    if cache.stop is not None:
        x = finish_patches(cache.model, x, sizes, cache.stop)
    return resample(cache.model, x, sizes), [g for _, _, g in got], (x, sizes) if cache.stop is not None else None


def box_l1(pred, box):
    """L1 between predicted and target boxes (rows with a NaN target skipped), in tenths of the crop (an L1 of 0.1
    is 1% of the crop)."""
    on = ~box[:, 0].isnan()
    return F.l1_loss(pred[on].float() * 10, box[on] * 10) if on.any() else pred.sum() * 0


def chars_ce(logits, chars):
    """Mean cross-entropy over the TEXT_SLOTS character positions (IGNORE targets skipped)."""
    parts = logits.float().view(-1, TEXT_SLOTS, 1 + len(CHARS))
    got = [F.cross_entropy(parts[:, k], chars[k], ignore_index=IGNORE) for k in range(TEXT_SLOTS) if (chars[k] != IGNORE).any()]
    return sum(got) / TEXT_SLOTS if got else logits.sum() * 0


def digits_ce(logits, box):
    """Mean cross-entropy of the coordinate digits (labels.box_digits) of the target boxes."""
    y = box_digits(box)
    on = y[0] != IGNORE
    if not on.any():
        return logits.sum() * 0
    parts = logits[on].float().view(-1, COORD_DIGITS, 10)
    return sum(F.cross_entropy(parts[:, k], y[k, on]) for k in range(COORD_DIGITS)) / COORD_DIGITS


def text_and_digit_losses(heads, x, box, chars):
    """The optional read-outs ObjectHeads and RowHeads share: a text's characters by position (--text-chars) and
    the digits of its object's coordinates (--coord-digits), weighted as the heads were built."""
    out = 0.0
    if heads.chars_weight > 0:
        out = out + heads.chars_weight * chars_ce(heads.chars(x), chars)
    if heads.digits_weight > 0:
        out = out + heads.digits_weight * digits_ce(heads.digits(x), box)
    return out


def own_positions(sizes):
    """[sum h*w, 2]: each patch centre's x, y as fractions of its crop (crop order, row-major)."""
    out = []
    for h, w in sizes:
        ys, xs = torch.meshgrid((torch.arange(h) + 0.5) / h, (torch.arange(w) + 0.5) / w, indexing="ij")
        out.append(torch.stack([xs.reshape(-1), ys.reshape(-1)], 1))
    return torch.cat(out)


def pooled_texts(feats, text_ids, chars, sizes):
    """Mean of the patches of each word / number in each crop -> (pooled [n, d], its text id [n], its characters
    [TEXT_SLOTS, n]); None when the crops hold no text."""
    crop = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor([h * w for h, w in sizes]))
    on = text_ids != IGNORE
    if not on.any():
        return None
    key = crop[on] * 1000 + text_ids[on]
    uniq, inv = torch.unique(key, return_inverse=True)
    pooled = feats.new_zeros(len(uniq), feats.shape[1]).float().index_add_(0, inv, feats[on].float())
    pooled = pooled / torch.bincount(inv, minlength=len(uniq))[:, None]
    one = torch.zeros(len(uniq), dtype=torch.long).scatter_(0, inv, torch.arange(len(inv)))  # a patch of each (same chars)
    return pooled, uniq % 1000, chars[:, on][:, one]


class ObjectHeads(torch.nn.Module):
    """Training-only linear read-outs of the tower's output patches (not exported): object type, colour,
    word / number and box (labels.object_targets), and the patch's own position (with pos_weight > 0). Linear,
    because the resampler only mixes patches linearly: a patch feature that states its position linearly lets a
    query's weighted average of an object's patches state where the object is. With text_pool_weight > 0, the mean
    of each word's / number's patches also names it (id and characters): what a resampler query that averages them
    needs, without asking every fragment of a glyph to know the whole text."""

    def __init__(self, d, pos_weight=0.0, chars_weight=0.0, digits_weight=0.0, text_pool_weight=0.0):
        super().__init__()
        self.text_pool_weight = text_pool_weight
        self.pool_id = torch.nn.Linear(d, OBJECT_CLASSES[2])
        self.pool_chars = torch.nn.Linear(d, TEXT_SLOTS * (1 + len(CHARS)))
        self.cls = torch.nn.Linear(d, sum(OBJECT_CLASSES))
        self.box = torch.nn.Linear(d, 4)
        self.pos = torch.nn.Linear(d, 2)
        self.chars = torch.nn.Linear(d, TEXT_SLOTS * (1 + len(CHARS)))
        self.digits = torch.nn.Linear(d, COORD_DIGITS * 10)
        self.pos_weight, self.chars_weight, self.digits_weight = pos_weight, chars_weight, digits_weight

    def loss(self, feats, cls, box, chars, sizes):
        logits = self.cls(feats).float().split(OBJECT_CLASSES, dim=1)
        ce = sum(F.cross_entropy(lg, y, ignore_index=IGNORE) for lg, y in zip(logits, cls) if (y != IGNORE).any())
        out = ce / len(OBJECT_CLASSES) + box_l1(self.box(feats), box)
        if self.pos_weight > 0:
            out = out + self.pos_weight * F.l1_loss(self.pos(feats).float() * 10, own_positions(sizes) * 10)
        pooled = pooled_texts(feats, cls[2], chars, sizes) if self.text_pool_weight > 0 else None
        if pooled is not None:
            x, ids, ch = pooled
            out = out + self.text_pool_weight * (F.cross_entropy(self.pool_id(x), ids) + chars_ce(self.pool_chars(x), ch))
        return out + text_and_digit_losses(self, feats, box, chars)


class RowHeads(torch.nn.Module):
    """Training-only linear read-outs of the image rows the language model sees (not exported): for each query, the
    type, colour and word / number of the object centred in its cell of the 8 x 8 map (labels.query_labels) and
    that object's box (labels.query_boxes), so the rows keep where in its cell an object is, not only which cell."""

    def __init__(self, d, chars_weight=0.0, digits_weight=0.0):
        super().__init__()
        self.cls = torch.nn.Linear(d, sum(QUERY_CLASSES[:3]))
        self.box = torch.nn.Linear(d, 4)
        self.chars = torch.nn.Linear(d, TEXT_SLOTS * (1 + len(CHARS)))
        self.digits = torch.nn.Linear(d, COORD_DIGITS * 10)
        self.chars_weight, self.digits_weight = chars_weight, digits_weight

    def loss(self, rows, cls, box, chars):
        logits = self.cls(rows).float().split(QUERY_CLASSES[:3], dim=1)
        ce = sum(F.cross_entropy(lg, y, ignore_index=IGNORE) for lg, y in zip(logits, cls) if (y != IGNORE).any())
        return ce / 3 + box_l1(self.box(rows), box) + text_and_digit_losses(self, rows, box, chars)


def pick_questions(qa, max_q, rng, weights=()):
    """Up to max_q of a scene's questions, uniformly, or (weights: (compiled regex, w) pairs, the first match
    counts) without replacement with probabilities proportional to w (Efraimidis-Spirakis keys u ** (1 / w))."""
    if len(qa) <= max_q:
        return qa
    if not weights:
        return rng.sample(qa, max_q)
    w = [next((wt for rx, wt in weights if rx.search(r["question"])), 1.0) for r in qa]
    keys = [rng.random() ** (1.0 / x) for x in w]
    return [qa[i] for i in sorted(range(len(qa)), key=lambda i: -keys[i])[:max_q]]


def prompt_batch(prefixes, questions, enc, row_labels=None):
    """Per scene its prefix ids and chosen questions -> the step's prompt tensors (right-padded prefixes, image
    row positions, suffixes and answer labels, each suffix's scene); with row_labels (per scene, the query labels of
    its rows in prefix order) also "attend": for each question, the prefix positions of the rows it names
    (lookup.referenced_rows)."""
    pre = torch.zeros(len(prefixes), max(len(p) for p in prefixes), dtype=torch.long)
    for b, p in enumerate(prefixes):
        pre[b, : len(p)] = torch.tensor(p)
    sufs, n_ans, group, attend = [], [], [], []
    for b, qa in enumerate(questions):
        row_at = (pre[b] == enc.unk).nonzero()[:, 0]
        for r in qa:
            ids, n = enc.suffix(r["question"], r["answer"])
            sufs.append(ids)
            n_ans.append(n)
            group.append(b)
            if row_labels is not None:
                t = torch.zeros(pre.shape[1], dtype=torch.bool)
                t[row_at] = referenced_rows(r["question"], row_labels[b])
                attend.append(t)
    suf, labels = suffix_tensors(sufs, n_ans)
    return {"pre": pre, "plen": torch.tensor([len(p) for p in prefixes]), "img_pos": (pre == enc.unk).nonzero(as_tuple=True),
            "suf": suf, "labels": labels, "group": torch.tensor(group),
            "attend": torch.stack(attend) if row_labels is not None else None}


def make_batch(cache, groups, idx, enc, max_q, rng, weights=(), attend=False):
    """The step's scenes idx -> {"rows", "feats", "targets", "row_targets"} for all of them and "parts": one prompt
    batch (prompt_batch, with its scenes' "rows") per group of scenes with the same crop count (same_crop_count),
    so no prefix is padded; the image side runs once for the whole step."""
    all_rows, grids, feats = image_rows(cache, idx)
    per_scene = dict(zip(idx, all_rows.split([cache.model.c.query_num * grid_crops(g) for g in grids])))
    grid_of = dict(zip(idx, grids))
    questions = {i: pick_questions(groups[i]["qa"], max_q, rng, weights) for i in idx}
    parts = []
    for part in same_crop_count(idx, groups):
        batch = prompt_batch([enc.prefix(grid_of[i]) for i in part], [questions[i] for i in part], enc,
                             [cache.row_labels[i][0] for i in part] if attend else None)
        parts.append({**batch, "rows": torch.cat([per_scene[i] for i in part])})
    return {"parts": parts, "rows": all_rows, "feats": feats,
            "targets": [torch.cat(t, dim=d) for t, d in zip(zip(*(cache.labels[i] for i in idx)), (1, 0, 1))]
            if cache.targets else None,
            "row_targets": [torch.cat(t, dim=d) for t, d in zip(zip(*(cache.row_labels[i] for i in idx)), (1, 0, 1))]
            if cache.row_targets else None}


def same_crop_count(idx, groups):
    """A step's scenes split by crop count (first-seen order kept): prefixes are right-padded to the longest in a
    batch and 85% of scenes are one crop (64 rows) against up to 7 (448), so a mixed batch ran ~3.4x the rows it
    holds; parts of equal length run none."""
    parts = {}
    for i in idx:
        parts.setdefault(crops_in(groups[i]), []).append(i)
    return list(parts.values())


def only_questions(groups, pattern):
    """The groups with only the questions matching `pattern` (re.search), groups left empty dropped."""
    rx = re.compile(pattern)
    kept = [dict(g, qa=[r for r in g["qa"] if rx.search(r["question"])]) for g in groups]
    return [g for g in kept if g["qa"]]


def lm_loss(model, batch, probe=None):
    """Answer cross-entropy; with probe = (layer, head) also lookup.attention_loss of that head (else None). A
    make_batch batch: its parts' losses weighted by their answer tokens (what one unsplit batch would give)."""
    if "parts" in batch:
        got = [lm_loss(model, p, probe) for p in batch["parts"]]
        answers = [p["labels"] != -100 for p in batch["parts"]]
        n = [int(a.sum()) for a in answers]
        ce = sum(k * c for k, (c, _) in zip(n, got)) / sum(n)
        if probe is None:
            return ce, None
        # lookup.attention_loss averages over the answer tokens of questions that name rows
        m = [int((a & p["attend"].any(1)[:, None]).sum()) for a, p in zip(answers, batch["parts"])]
        return ce, sum(k * a for k, (_, a) in zip(m, got)) / max(1, sum(m))
    emb = model.merge(batch["pre"], batch["rows"], batch["img_pos"])
    kv = prefix_forward(model.llm, emb)
    semb = model.llm.model.embed_tokens(batch["suf"])
    out = suffix_forward(model.llm, kv, batch["plen"], batch["group"], semb, probe=probe)
    h, att = (out, None) if probe is None else out
    sel = batch["labels"] != -100
    ce = F.cross_entropy(model.llm.lm_head(h[sel]), batch["labels"][sel])
    return ce, (None if probe is None else attention_loss(att, batch))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vision", required=True, help="stage-1 checkpoint (train_vision.py)")
    ap.add_argument("--run", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--train-count", type=int, default=20000)
    ap.add_argument("--scenes", type=int, default=0, help="train on the first N scenes only (0: all); their image "
                    "rows are computed once, so fewer scenes = more of the budget for the language model")
    ap.add_argument("--val-count", type=int, default=150)
    ap.add_argument("--rounds", type=int, default=3, help="question rounds per scene in the training export")
    ap.add_argument("--steps", type=int, default=6000)
    ap.add_argument("--stop-at", type=int, default=0, help="stop after this step (the learning-rate schedule still spans --steps)")
    ap.add_argument("--images", type=int, default=16)
    ap.add_argument("--questions", type=int, default=12, help="questions per scene per step (sampled)")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--merges", type=int, default=400)
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-every", type=int, default=1000)
    ap.add_argument("--bf16", type=int, default=1, help="bfloat16 autocast (fp32 master weights)")
    ap.add_argument("--ckpt-minutes", type=float, default=3.0)
    ap.add_argument("--init", help="start from this stage-2 checkpoint (all weights; its bpe.json), fresh optimizer")
    ap.add_argument("--resampler-lr-mult", type=float, default=0.0,
                    help="> 0: train the resampler too, at this multiple of --lr (the tower stays frozen)")
    ap.add_argument("--tower-blocks", type=int, default=0,
                    help="with --resampler-lr-mult: also train the tower's last K blocks and its post-LayerNorm")
    ap.add_argument("--question-filter", default="",
                    help="regular expression: train and validate only on the questions it matches (a study of one "
                         "question kind; scenes left without questions are dropped)")
    ap.add_argument("--upweight", nargs=2, action="append", default=[], metavar=("REGEX", "W"),
                    help="sample a scene's questions matching REGEX W times as often (repeatable; the first match counts)")
    ap.add_argument("--patch-aux", type=float, default=0.0,
                    help="with --tower-blocks: weight of the object-centric patch targets (ObjectHeads)")
    ap.add_argument("--patch-pos", type=float, default=0.0,
                    help="with --patch-aux: weight (within it) of each patch's own position, read linearly")
    ap.add_argument("--text-chars", type=float, default=0.0,
                    help="weight (within --patch-aux and --row-aux) of a word's / number's characters by position, "
                         "named by every patch of it and by the query its centre falls in")
    ap.add_argument("--text-pool", type=float, default=0.0,
                    help="weight (within --patch-aux) of the mean of each word's / number's patches naming it (id and "
                         "characters)")
    ap.add_argument("--coord-digits", type=float, default=0.0,
                    help="weight (within --patch-aux and --row-aux) of the hundreds and tens digits of the object's "
                         "centre and corners (0-1000 of the crop), named by every patch of it and by its query")
    ap.add_argument("--lm-weight", type=float, default=1.0,
                    help="weight of the answer loss; 0 trains only the tower / resampler read-outs (the language "
                         "model is not run), e.g. to sharpen the tower's boxes before the language model re-adapts")
    ap.add_argument("--attn-sup", type=float, default=0.0, help="weight of lookup.attention_loss: one head "
                    "(--attn-probe) attends from the answer to the rows of the objects the question names")
    ap.add_argument("--attn-probe", default="2,0", help="layer,head that --attn-sup trains")
    ap.add_argument("--row-aux", type=float, default=0.0,
                    help="with --resampler-lr-mult: weight of the per-query targets on the image rows (RowHeads: the "
                         "type, colour, text and box of the object centred in each query's cell)")
    args = ap.parse_args()
    if args.tower_blocks and args.resampler_lr_mult <= 0:
        ap.error("--tower-blocks needs --resampler-lr-mult > 0 (the blocks train at the resampler's learning rate)")
    if args.patch_aux and not args.tower_blocks:
        ap.error("--patch-aux needs --tower-blocks (the targets train the tower)")
    if args.lm_weight <= 0 and not (args.patch_aux or args.row_aux):
        ap.error("--lm-weight 0 needs --patch-aux or --row-aux (nothing would train)")
    if args.attn_sup and args.lm_weight <= 0:
        ap.error("--attn-sup needs --lm-weight > 0 (the supervised head is in the language model)")
    if args.patch_pos and not args.patch_aux:
        ap.error("--patch-pos needs --patch-aux")
    if args.text_pool and not args.patch_aux:
        ap.error("--text-pool needs --patch-aux")
    if (args.text_chars or args.coord_digits) and not (args.patch_aux or args.row_aux):
        ap.error("--text-chars and --coord-digits need --patch-aux or --row-aux")
    if args.row_aux and args.resampler_lr_mult <= 0:
        ap.error("--row-aux needs --resampler-lr-mult > 0 (the targets train the resampler)")
    torch.set_num_threads(args.threads)
    os.makedirs(args.run, exist_ok=True)
    groups = load_groups(*export("train", args.train_count, os.path.join(args.data, "train"), rounds=args.rounds))
    if args.scenes:
        groups = groups[:args.scenes]
    val_groups = load_groups(*export("validation", args.val_count, os.path.join(args.data, "validation")))
    weights = [(re.compile(rx), float(w)) for rx, w in args.upweight]
    if any(w <= 0 for _, w in weights):
        ap.error("--upweight: weights must be > 0")
    if args.question_filter:
        groups, val_groups = (only_questions(g, args.question_filter) for g in (groups, val_groups))

    tok_path = os.path.join(args.run, "bpe.json")
    if args.init and not os.path.exists(tok_path):
        Tokenizer.load(os.path.join(os.path.dirname(args.init), "bpe.json")).save(tok_path)
    if os.path.exists(tok_path):
        tok = Tokenizer.load(tok_path)
    else:
        tok = Tokenizer.train(corpus_texts(groups), args.merges)
        tok.save(tok_path)
    vck = torch.load(args.vision, weights_only=False)
    cfg = Config(**vck["config"])
    cfg.vocab = len(tok.tokens)
    enc = Encoder(tok, cfg.query_num)
    torch.manual_seed(args.seed)
    model = MiniCPMV(cfg)
    vis_state = {k: v for k, v in vck["model"].items() if k.startswith(("vpm.", "resampler."))}
    model.load_state_dict(vis_state, strict=False)
    base_elapsed = vck["elapsed"]
    if args.init:
        ick = torch.load(args.init, weights_only=False)
        model.load_state_dict(ick["model"])
        base_elapsed = ick["elapsed"]
        T.log(f"initialised from {args.init} (step {ick['step']})")
    tune_rs = args.resampler_lr_mult > 0
    for p in list(model.vpm.parameters()) + ([] if tune_rs else list(model.resampler.parameters())):
        p.requires_grad_(False)
    model.vpm.eval()
    model.resampler.eval()
    params = list(model.llm.parameters())
    rs_params = list(model.resampler.parameters()) if tune_rs else []
    n_blocks = len(model.vpm.encoder.layers)
    if not 0 <= args.tower_blocks <= n_blocks:
        ap.error(f"--tower-blocks {args.tower_blocks}: the tower has {n_blocks} blocks")
    stop = n_blocks - args.tower_blocks if args.tower_blocks > 0 else None
    if stop is not None:
        tower = list(model.vpm.encoder.layers[stop:].parameters()) + list(model.vpm.post_layernorm.parameters())
        for p in tower:
            p.requires_grad_(True)
        rs_params += tower
    def load_readouts(module, state, name):
        """Read-outs of the --init stage; read-outs it did not have start fresh, anything else is an error."""
        got = module.load_state_dict(state, strict=False)
        if got.unexpected_keys:
            raise SystemExit(f"--init {args.init}: unknown {name} read-outs {got.unexpected_keys}")
        if got.missing_keys:
            T.log(f"{name}: new read-outs start fresh: {sorted({k.split('.')[0] for k in got.missing_keys})}")

    heads = ObjectHeads(cfg.v_hidden, args.patch_pos, args.text_chars, args.coord_digits, args.text_pool) if args.patch_aux else None
    if heads is not None:
        if args.init and ick.get("aux") is not None:
            load_readouts(heads, ick["aux"], "patch")  # continuing a --patch-aux stage: keep its trained read-outs
        rs_params += list(heads.parameters())
    row_heads = RowHeads(cfg.hidden, args.text_chars, args.coord_digits) if args.row_aux else None
    if row_heads is not None:
        if args.init and ick.get("row_aux") is not None:
            load_readouts(row_heads, ick["row_aux"], "row")
        rs_params += list(row_heads.parameters())
    opt = T.make_optimizer(params, args.lr, rs_params, args.resampler_lr_mult)
    ckpt_path = os.path.join(args.run, "ckpt.pt")
    step, elapsed = 0, 0.0
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        if heads is not None:
            heads.load_state_dict(ck["aux"])
        if row_heads is not None:
            row_heads.load_state_dict(ck["row_aux"])
        # the saved figure includes the earlier stages' time (base_elapsed); this run's clock excludes it
        step, elapsed = ck["step"], ck["elapsed"] - base_elapsed
        T.log(f"resumed at step {step}")
    T.log(f"LLM {sum(p.numel() for p in params) / 1e6:.2f} M params, vocab {cfg.vocab}, {len(groups)} scenes, "
          f"{sum(len(g['qa']) for g in groups)} questions")

    def save():
        tmp = ckpt_path + ".tmp"
        torch.save({"model": model.state_dict(), "aux": heads.state_dict() if heads is not None else None,
                    "row_aux": row_heads.state_dict() if row_heads is not None else None, "opt": opt.state_dict(), "step": step,
                    "elapsed": time.time() - t_start + base_elapsed, "config": cfg.to_dict(), "stage": "llm",
                    "vision_steps": vck["step"], "args": vars(args)}, tmp)
        os.replace(tmp, ckpt_path)

    cache = RowCache(model, groups, bool(args.bf16), patches=tune_rs, stop=stop, targets=heads is not None,
                     row_targets=row_heads is not None or args.attn_sup > 0)
    probe = tuple(int(v) for v in args.attn_probe.split(",")) if args.attn_sup > 0 else None
    rng = random.Random(args.seed)
    per_epoch = len(groups) // args.images
    t_start = time.time() - elapsed
    last_ckpt = time.time()
    losses, aux_losses, row_losses, att_losses = [], [], [], []
    model.llm.train()
    last = min(args.steps, args.stop_at) if args.stop_at else args.steps
    while step < last:
        epoch, k = divmod(step, per_epoch)
        order = list(range(len(groups)))
        random.Random(args.seed * 1000 + epoch).shuffle(order)
        lr = T.lr_at(step, args.lr, args.warmup, args.steps, 0.05)
        T.set_lr(opt, lr)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bool(args.bf16)):
            batch = make_batch(cache, groups, order[k * args.images: (k + 1) * args.images], enc, args.questions, rng,
                               weights, attend=probe is not None)
            loss, att = lm_loss(model, batch, probe) if args.lm_weight > 0 else (torch.zeros(()), None)
            aux = heads.loss(batch["feats"][0], *batch["targets"], batch["feats"][1]) if heads is not None else None
            row = row_heads.loss(batch["rows"], *batch["row_targets"]) if row_heads is not None else None
        opt.zero_grad(set_to_none=True)
        total = args.lm_weight * loss
        if aux is not None:
            total = total + args.patch_aux * aux
        if row is not None:
            total = total + args.row_aux * row
        if att is not None:
            total = total + args.attn_sup * att
        total.backward()
        torch.nn.utils.clip_grad_norm_(params + rs_params, 1.0)
        opt.step()
        step += 1
        losses.append(loss.item())
        aux_losses.append(0.0 if aux is None else aux.item())
        row_losses.append(0.0 if row is None else row.item())
        att_losses.append(0.0 if att is None else att.item())
        if step % 50 == 0:
            el = time.time() - t_start
            T.log(f"step {step}/{args.steps} loss {np.mean(losses):.4f} aux {np.mean(aux_losses):.4f} rows {np.mean(row_losses):.4f} attn {np.mean(att_losses):.3f} lr {lr:.1e} "
                  f"cached {len(cache.rows)} "
                  f"{el / 60:.1f} min ({el / step:.2f} s/step)")
            losses, aux_losses, row_losses, att_losses = [], [], [], []
        if step % args.eval_every == 0 or step == last:
            T.log(f"validation @ {step}: {T.fmt(T.evaluate(model, val_groups, enc, show=6))}")
            model.vpm.eval()
            model.resampler.eval()
        if time.time() - last_ckpt > args.ckpt_minutes * 60:
            save()
            last_ckpt = time.time()
    save()
    T.log(f"done: {step} steps, {(time.time() - t_start) / 60:.1f} min")


if __name__ == "__main__":
    main()
