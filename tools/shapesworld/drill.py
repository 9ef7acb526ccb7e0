"""Reading drills: scenes of several words and digits (no shapes), drawn exactly as the TypeScript generator draws
text (its bitmap font, read from src/datasets/shapesworld/font.ts; the same canvas sizes, backgrounds and glyph
scales), so a tower learning to read sees ~5.3 texts per crop instead of the ~1.3 of the real scenes that hold one.

Training only: the world's splits stay the TypeScript generator's.
"""
import os
import re

import numpy as np
from PIL import Image

from data import REPO
from labels import WORDS

INK = (20, 20, 20)
ADVANCE, GLYPH_H = 6, 7


def _read_ts(rel):
    with open(os.path.join(REPO, "src", "datasets", "shapesworld", rel)) as f:
        return f.read()


FONT = {k: [[c == "1" for c in row] for row in v.split()]
        for k, v in re.findall(r'"?([A-Z0-9])"?: "([01 ]+)"', _read_ts("font.ts"))}
_bg = re.search(r"BACKGROUNDS[^=]*=\s*\[(.*?)\];", _read_ts("vocab.ts"), re.S).group(1)
BACKGROUNDS = [tuple(int(v) for v in m) for m in re.findall(r"\[(\d+), (\d+), (\d+)\]", _bg)]
_large = re.search(r"LARGE_SIZES[^=]*=\s*\[(.*?)\];", _read_ts("scene.ts"), re.S).group(1)
LARGE_SIZES = [(int(w), int(h)) for w, h in re.findall(r"\[(\d+), (\d+)\]", _large)]
assert len(FONT) == 36 and len(BACKGROUNDS) >= 2 and len(LARGE_SIZES) >= 2, "font.ts / vocab.ts / scene.ts no longer parse"


def canvas(rng, large_fraction=0.15):
    """A canvas size as the generator samples one (224-448 px, aspect <= 1.8; sometimes a large sliced one).
    The numbers mirror sampleCanvas in scene.ts, where they are literals (only LARGE_SIZES is parsed from it)."""
    if rng.random() < large_fraction:
        return rng.choice(LARGE_SIZES)
    while True:
        w, h = rng.randint(224, 448), rng.randint(224, 448)
        if max(w, h) / min(w, h) <= 1.8:
            return w, h


def drill_scene(rng, n_texts=(4, 8)):
    """-> (PIL image, scene dict with "shapes": [] and "texts" as the generator writes them)."""
    w, h = canvas(rng)
    unit = (w * h) ** 0.5
    margin = unit * 0.04
    img = np.empty((h, w, 3), np.uint8)
    img[:] = rng.choice(BACKGROUNDS)
    texts, taken = [], []
    for _ in range(rng.randint(*n_texts)):
        word = rng.random() < 0.5
        text = rng.choice(WORDS) if word else str(rng.randint(0, 9))
        if any(t["text"] == text for t in texts):             # one of each: the read-outs pool a text's patches by id
            continue
        scale = max(2, round(unit * rng.uniform(0.12, 0.15) / 7))
        tw, th = (len(text) * ADVANCE - 1) * scale, GLYPH_H * scale
        for _ in range(100):
            x, y = round(rng.uniform(margin, w - margin - tw)), round(rng.uniform(margin, h - margin - th))
            box = [x, y, x + tw, y + th]
            if all(box[2] + margin <= b[0] or b[2] + margin <= box[0] or box[3] + margin <= b[1] or b[3] + margin <= box[1]
                   for b in taken):
                break
        else:
            continue
        taken.append(box)
        for k, ch in enumerate(text):
            for r, row in enumerate(FONT[ch]):
                for c, on in enumerate(row):
                    if on:
                        px, py = x + (k * ADVANCE + c) * scale, y + r * scale
                        img[py:py + scale, px:px + scale] = INK
        texts.append({"kind": "word" if word else "number", "text": text, "x": x, "y": y, "scale": scale, "box": box})
    return Image.fromarray(img), {"width": w, "height": h, "shapes": [], "texts": texts}
