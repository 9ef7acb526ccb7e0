"""ShapesWorld data for training: the TypeScript exporter's PNG + JSONL, grouped by image, tokenised."""
import collections
import json
import os
import subprocess

import numpy as np
import torch
from PIL import Image

from slicing import crop_count, crops_of, image_placeholder

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

PREFIX_HEAD = "<|im_start|>user\n"
ASSISTANT = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
END = "<|im_end|>"


def export(split, count, out_dir, start=0, rounds=1):
    """Runs the TypeScript generator (the single source of truth) unless the JSONL is already there.
    rounds > 1 (more questions per scene) reuses the PNGs of a rounds=1 export in `out_dir`."""
    src_dir = out_dir
    if rounds > 1:
        out_dir = f"{out_dir}-r{rounds}"
        os.makedirs(out_dir, exist_ok=True)
        export(split, count, src_dir, start)
        if not os.path.exists(os.path.join(out_dir, "images")):
            os.symlink(os.path.abspath(os.path.join(src_dir, "images")), os.path.join(out_dir, "images"))
    path = os.path.join(out_dir, f"{split}.jsonl")
    stamp = os.path.join(out_dir, f"{split}.{start}.{count}.done")
    if not os.path.exists(stamp):
        # the JSONL is shared by every (start, count): a stamp of an earlier export no longer describes it
        for old in os.listdir(out_dir) if os.path.isdir(out_dir) else []:
            if old.startswith(f"{split}.") and old.endswith(".done"):
                os.remove(os.path.join(out_dir, old))
        cmd = ["node", "--import", "tsx", "scripts/shapesworld-export.ts", "--split", split, "--count", str(count),
               "--start", str(start), "--out", out_dir, "--rounds", str(rounds)]
        subprocess.run(cmd + (["--no-images"] if rounds > 1 else []), cwd=REPO, check=True)
        open(stamp, "w").close()
    return path, out_dir


COLOR_RGB = {"red": (220, 30, 40), "green": (30, 160, 60), "blue": (30, 80, 220), "yellow": (240, 205, 20),
             "purple": (140, 50, 190), "orange": (250, 125, 15)}
COLOR_CLASS = {c: i + 1 for i, c in enumerate(COLOR_RGB)}            # 0 background, 7 text ink
KIND_CLASS = {k: i + 1 for i, k in enumerate(["circle", "square", "triangle", "star", "diamond"])}  # 6 text
CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"                          # char class = index + 1
AUX_SIZES = (8, 7, 1 + len(CHARS))


def load_groups(jsonl, root):
    groups = collections.OrderedDict()
    with open(jsonl) as f:
        for line in f:
            r = json.loads(line)
            if isinstance(r["image"], list):
                continue  # clips: not trained on yet
            groups.setdefault(r["id"], {"image": os.path.join(root, r["image"]), "qa": []})["qa"].append(r)
    scenes = jsonl.replace(".jsonl", ".scenes.jsonl")
    if os.path.exists(scenes):
        with open(scenes) as f:
            for line in f:
                sc = json.loads(line)
                if sc["id"] in groups:
                    groups[sc["id"]]["scene"] = sc
    return list(groups.values())


def crops_in(group):
    """How many crops a group's image is cut into (its scene's size when known, else its PNG's)."""
    w, h = (group["scene"]["width"], group["scene"]["height"]) if "scene" in group else Image.open(group["image"]).size
    return crop_count(w, h)


def patch_labels(scene, pixels, crop_hw, cmap, patch=14):
    """Dense labels (colour, kind, character) at each patch centre of a crop, from the scene and its pixels."""
    h, w = crop_hw
    ox, oy, sx, sy = cmap
    labels = torch.zeros(3, h * w, dtype=torch.long)
    W, H = scene["width"], scene["height"]
    inv = {v: k for k, v in COLOR_RGB.items()}
    for i in range(h):
        y = min(H - 1, int((oy + (i + 0.5) * patch) * sy))
        for j in range(w):
            x = min(W - 1, int((ox + (j + 0.5) * patch) * sx))
            k = i * w + j
            px = tuple(int(v) for v in pixels[y, x])
            if px in inv:
                labels[0, k] = COLOR_CLASS[inv[px]]
                for s in scene["shapes"]:
                    b = s["box"]
                    if s["color"] == inv[px] and b[0] <= x <= b[2] and b[1] <= y <= b[3]:
                        labels[1, k] = KIND_CLASS[s["kind"]]
                        break
            elif px == (20, 20, 20):
                labels[0, k] = 7
            for t in scene["texts"]:
                b = t["box"]
                if b[0] <= x < b[2] and b[1] <= y < b[3]:
                    labels[1, k] = 6
                    ci = int((x - b[0]) // (6 * t["scale"]))
                    if ci < len(t["text"]) and (x - b[0]) % (6 * t["scale"]) < 5 * t["scale"]:
                        labels[2, k] = CHARS.index(t["text"][ci]) + 1
    return labels


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


def suffix_tensors(sufs, n_ans):
    """Right-padded suffix ids [m, S] and labels (-100 except the answer tokens: token t predicts t+1, so the
    labels at positions len-n-1 .. len-2 are the last n tokens)."""
    S = max(len(s) for s in sufs)
    suf = torch.zeros(len(sufs), S, dtype=torch.long)
    labels = torch.full((len(sufs), S), -100, dtype=torch.long)
    for j, s in enumerate(sufs):
        suf[j, : len(s)] = torch.tensor(s)
        n = n_ans[j]
        labels[j, len(s) - n - 1: len(s) - 1] = torch.tensor(s[len(s) - n:])
    return suf, labels


def build_batch(groups, enc, max_q=None, with_aux=False):
    """groups -> dict of tensors for one step (all questions of each image, or the first max_q)."""
    crops, prefixes, owners, aux = [], [], [], []
    for gi, g in enumerate(groups):
        img = Image.open(g["image"]).convert("RGB")
        cs, grid, maps = crops_of(img, with_maps=True)
        if with_aux and "scene" in g:
            pixels = np.asarray(img)
            for t, cm in zip(cs, maps):
                aux.append(patch_labels(g["scene"], pixels, (t.shape[1] // 14, t.shape[2] // 14), cm))
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
    suf, labels = suffix_tensors(sufs, labels_len)
    return {"crops": crops, "pre": pre, "plen": plen, "img_pos": (bi, ti), "suf": suf, "labels": labels,
            "group": torch.tensor(group), "qa": qas, "aux": aux if len(aux) == len(crops) else None}
