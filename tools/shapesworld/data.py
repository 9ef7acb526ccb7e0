"""ShapesWorld data for training: the TypeScript exporter's PNG + JSONL, grouped by image, tokenised."""
import collections
import json
import os
import subprocess

import torch
from PIL import Image

from slicing import crops_of, image_placeholder

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

PREFIX_HEAD = "<|im_start|>user\n"
ASSISTANT = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
END = "<|im_end|>"


def export(split, count, out_dir, start=0):
    """Runs the TypeScript generator (the single source of truth) unless the JSONL is already there."""
    path = os.path.join(out_dir, f"{split}.jsonl")
    stamp = os.path.join(out_dir, f"{split}.{start}.{count}.done")
    if not os.path.exists(stamp):
        subprocess.run(["node", "--import", "tsx", "scripts/shapesworld-export.ts", "--split", split,
                        "--count", str(count), "--start", str(start), "--out", out_dir], cwd=REPO, check=True)
        open(stamp, "w").close()
    return path


def load_groups(jsonl, root):
    groups = collections.OrderedDict()
    with open(jsonl) as f:
        for line in f:
            r = json.loads(line)
            if isinstance(r["image"], list):
                continue  # clips: not trained on yet
            groups.setdefault(r["id"], {"image": os.path.join(root, r["image"]), "qa": []})["qa"].append(r)
    return list(groups.values())


def corpus_texts(groups):
    for g in groups:
        for r in g["qa"]:
            yield r["question"]
            yield r["answer"]
    for _ in range(50):
        yield "user\n"
        yield "assistant\n"
        yield "\n\n"


class Encoder:
    def __init__(self, tok, query_num):
        self.tok = tok
        self.q = query_num
        self.unk = tok.id["<unk>"]
        self.end = tok.id[END]

    def prefix(self, grid):
        return self.tok.encode(PREFIX_HEAD + image_placeholder(grid, self.q, 0) + "\n")

    def suffix(self, question, answer=None):
        ids = self.tok.encode(question + ASSISTANT)
        if answer is None:
            return ids, 0
        ans = self.tok.encode(answer) + [self.end]
        return ids + ans, len(ans)


def build_batch(groups, enc, max_q=None):
    """groups -> dict of tensors for one step (all questions of each image, or the first max_q)."""
    crops, prefixes, owners = [], [], []
    for gi, g in enumerate(groups):
        img = Image.open(g["image"])
        cs, grid = crops_of(img)
        crops += cs
        prefixes.append(enc.prefix(grid))
        owners.append(len(cs))
    P = max(len(p) for p in prefixes)
    pre = torch.zeros(len(groups), P, dtype=torch.long)
    plen = torch.tensor([len(p) for p in prefixes])
    for i, p in enumerate(prefixes):
        pre[i, : len(p)] = torch.tensor(p)
    # image rows: positions of <unk> in prefix order, which is overview then slices.
    bi, ti = (pre == enc.unk).nonzero(as_tuple=True)
    sufs, labels_len, group, qas = [], [], [], []
    for gi, g in enumerate(groups):
        qa = g["qa"] if max_q is None else g["qa"][:max_q]
        for r in qa:
            ids, n_ans = enc.suffix(r["question"], r["answer"])
            sufs.append(ids)
            labels_len.append(n_ans)
            group.append(gi)
            qas.append(r)
    S = max(len(s) for s in sufs)
    suf = torch.zeros(len(sufs), S, dtype=torch.long)
    labels = torch.full((len(sufs), S), -100, dtype=torch.long)
    for j, s in enumerate(sufs):
        suf[j, : len(s)] = torch.tensor(s)
        n = labels_len[j]
        # token t predicts t+1: labels at positions len-n-1 .. len-2 are the answer tokens.
        labels[j, len(s) - n - 1: len(s) - 1] = torch.tensor(s[len(s) - n:])
    return {"crops": crops, "pre": pre, "plen": plen, "img_pos": (bi, ti), "suf": suf, "labels": labels,
            "group": torch.tensor(group), "qa": qas}
