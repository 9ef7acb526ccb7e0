"""Dense training-only targets for the vision tower and the resampler (vectorised; computed from the scene).

Per patch (at each patch centre): colour class, kind class, character class.
Per resampler query: query k owns cell k of an 8 x 8 grid over its crop; an object belongs to the cell that holds
its centre and gives that query its type, colour, word/number, sub-cell offset and box size. Every query also
learns its own row and column. These make the 64 rows a readable map of the crop, so the language model only
has to learn to look things up in it.
"""
import numpy as np
import torch

COLOR_RGB = {"red": (220, 30, 40), "green": (30, 160, 60), "blue": (30, 80, 220), "yellow": (240, 205, 20),
             "purple": (140, 50, 190), "orange": (250, 125, 15)}
COLORS = list(COLOR_RGB)
KINDS = ["circle", "square", "triangle", "star", "diamond"]
WORDS = ["CAT", "DOG", "SUN", "SKY", "CAR", "BUS", "HAT", "CUP", "PEN", "MAP",
         "KEY", "BOX", "FOX", "OWL", "BEE", "EGG", "TOY", "ICE", "JAM", "ZOO"]
CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
INK = (20, 20, 20)
GLYPH_ADVANCE, GLYPH_W = 6, 5

PATCH_CLASSES = (8, 7, 1 + len(CHARS))          # colour (0 bg, 7 ink), kind (6 text), character
CELL = 8                                          # 8 x 8 cells = 64 queries
SIZE_BINS = 32
# type (0 none, 1-5 kinds, 6 word, 7 number), colour, text id (1-20 words, 21-120 numbers), row, col, dx, dy, w, h
QUERY_CLASSES = (8, 7, 121, CELL, CELL, 8, 8, SIZE_BINS, SIZE_BINS)
IGNORE = -100


def patch_centres(pixels, hw, cmap, patch=14):
    """([h, w], [h, w]) int: the original-image pixel under each patch centre of a crop (cmap: crop -> original)."""
    h, w = hw
    ox, oy, sx, sy = cmap
    H, W = pixels.shape[:2]
    xs = np.minimum(W - 1, ((ox + (np.arange(w) + 0.5) * patch) * sx).astype(np.int64))
    ys = np.minimum(H - 1, ((oy + (np.arange(h) + 0.5) * patch) * sy).astype(np.int64))
    return np.meshgrid(xs, ys)


def in_box(b, X, Y):
    """[h, w] bool: the patch centres inside box b (x1 y1 x2 y2, edges included)."""
    return (X >= b[0]) & (X <= b[2]) & (Y >= b[1]) & (Y <= b[3])


def on_shape(s, X, Y, px):
    """[h, w] bool: the patch centres inside a shape's box that show its own colour (px: the pixels under them)."""
    return in_box(s["box"], X, Y) & (px == COLOR_RGB[s["color"]]).all(-1)


def crop_box(b, hw, cmap, patch=14):
    """An original-image box as x1 y1 x2 y2 fractions of a crop."""
    h, w = hw
    ox, oy, sx, sy = cmap
    cw, ch = w * patch, h * patch
    return [b[0] / sx - ox, b[1] / sy - oy, b[2] / sx - ox, b[3] / sy - oy] / np.array([cw, ch, cw, ch])


def cell_objects(scene, hw, cmap, patch=14):
    """(query index, gx, gy, object, is_text) for each object whose centre falls in the crop; query k owns cell k of
    the 8 x 8 grid (gx, gy: the centre in cell units). Smaller objects first, so a larger one sharing a cell
    overwrites it when the caller writes targets in this order."""
    h, w = hw
    ox, oy, sx, sy = cmap
    cw, ch = w * patch, h * patch                                        # crop size in its own pixels
    objects = [(s, False) for s in scene["shapes"]] + [(t, True) for t in scene["texts"]]
    area = lambda o: (o[0]["box"][2] - o[0]["box"][0]) * (o[0]["box"][3] - o[0]["box"][1])  # noqa: E731
    for o, is_text in sorted(objects, key=area):
        b = o["box"]
        fx = ((b[0] + b[2]) / 2 / sx - ox) / cw                          # centre as a fraction of the crop
        fy = ((b[1] + b[3]) / 2 / sy - oy) / ch
        if 0 <= fx < 1 and 0 <= fy < 1:
            gx, gy = fx * CELL, fy * CELL
            yield int(gy) * CELL + int(gx), gx, gy, o, is_text


def text_class(t):
    return 1 + WORDS.index(t["text"]) if t["kind"] == "word" else 21 + int(t["text"])


def patch_labels(scene, pixels, hw, cmap, patch=14):
    """[3, h*w] long: colour, kind, character at each patch centre of a crop (cmap: crop -> original)."""
    h, w = hw
    X, Y = patch_centres(pixels, hw, cmap, patch)
    px = pixels[Y, X].astype(np.int64)                                   # [h, w, 3]
    colour = np.zeros((h, w), np.int64)
    kind = np.zeros((h, w), np.int64)
    char = np.zeros((h, w), np.int64)
    for i, name in enumerate(COLORS):
        colour[(px == COLOR_RGB[name]).all(-1)] = i + 1
    colour[(px == INK).all(-1)] = 7
    for s in scene["shapes"]:
        b = s["box"]
        inside = in_box(b, X, Y) & (colour == COLORS.index(s["color"]) + 1)
        kind[inside & (kind == 0)] = KINDS.index(s["kind"]) + 1
    for t in scene["texts"]:
        b = t["box"]
        inside = (X >= b[0]) & (X < b[2]) & (Y >= b[1]) & (Y < b[3])
        kind[inside] = 6
        adv = GLYPH_ADVANCE * t["scale"]
        ci = (X - b[0]) // adv
        on_glyph = inside & ((X - b[0]) % adv < GLYPH_W * t["scale"]) & (ci < len(t["text"]))
        idx = np.array([CHARS.index(c) + 1 for c in t["text"]] + [0])
        char[on_glyph] = idx[np.clip(ci[on_glyph], 0, len(t["text"]))]
    return torch.from_numpy(np.stack([colour, kind, char]).reshape(3, h * w))


def query_labels(scene, hw, cmap, patch=14):
    """[9, 64] long targets of the crop's 64 queries (IGNORE where a target does not apply)."""
    h, w = hw
    _, _, sx, sy = cmap
    cw, ch = w * patch, h * patch                                        # crop size in its own pixels
    out = np.full((len(QUERY_CLASSES), CELL * CELL), IGNORE, np.int64)
    out[0] = 0
    out[3] = np.arange(CELL * CELL) // CELL
    out[4] = np.arange(CELL * CELL) % CELL
    for k, gx, gy, o, is_text in cell_objects(scene, hw, cmap, patch):   # larger objects win a shared cell
        b = o["box"]
        if not is_text:
            out[0, k] = KINDS.index(o["kind"]) + 1
            out[1, k] = COLORS.index(o["color"]) + 1
            out[2, k] = 0
        else:
            out[0, k] = 6 if o["kind"] == "word" else 7
            out[1, k] = 0
            out[2, k] = text_class(o)
        out[5, k] = int((gx - int(gx)) * 8)
        out[6, k] = int((gy - int(gy)) * 8)
        out[7, k] = min(SIZE_BINS - 1, int((b[2] - b[0]) / sx / cw * SIZE_BINS))
        out[8, k] = min(SIZE_BINS - 1, int((b[3] - b[1]) / sy / ch * SIZE_BINS))
    return torch.from_numpy(out)


def query_boxes(scene, hw, cmap, patch=14):
    """[64, 4] float: the box (x1 y1 x2 y2, fractions of the crop) of the object query_labels gives each query,
    NaN where a query has none."""
    out = np.full((CELL * CELL, 4), np.nan, np.float32)
    for k, _, _, o, _ in cell_objects(scene, hw, cmap, patch):
        out[k] = crop_box(o["box"], hw, cmap, patch)
    return torch.from_numpy(out)


# type of the object under a patch: 0 none, 1-5 kinds, 6 word, 7 number; colour 1-6; text id as text_class
OBJECT_CLASSES = (8, 1 + len(COLORS), 121)


def object_targets(scene, pixels, hw, cmap, patch=14):
    """Object-centric targets at each patch centre of a crop: (classes [3, h*w] long: type, colour, text id,
    IGNORE where they do not apply; box [h*w, 4] float: the object's x1 y1 x2 y2 as fractions of the crop,
    NaN off objects). Every patch of an object names the whole object, so any weighted average of its
    patches (what a resampler query takes) still carries the object's identity and box."""
    h, w = hw
    X, Y = patch_centres(pixels, hw, cmap, patch)
    px = pixels[Y, X].astype(np.int64)
    cls = np.full((3, h, w), IGNORE, np.int64)
    cls[0] = 0
    box = np.full((h, w, 4), np.nan, np.float32)
    for s in scene["shapes"]:
        inside = on_shape(s, X, Y, px)
        cls[0][inside] = KINDS.index(s["kind"]) + 1
        cls[1][inside] = COLORS.index(s["color"]) + 1
        box[inside] = crop_box(s["box"], hw, cmap, patch)
    for t in scene["texts"]:
        b = t["box"]
        inside = (X >= b[0]) & (X < b[2]) & (Y >= b[1]) & (Y < b[3])
        cls[0][inside] = 6 if t["kind"] == "word" else 7
        cls[1][inside] = IGNORE
        cls[2][inside] = text_class(t)
        box[inside] = crop_box(b, hw, cmap, patch)
    return torch.from_numpy(cls.reshape(3, h * w)), torch.from_numpy(box.reshape(h * w, 4))


TEXT_SLOTS = 3                                    # words have 3 letters, numbers 1-2 digits


def text_chars(t):
    """The text's characters by position (CHARS index + 1; 0 past its end), TEXT_SLOTS of them."""
    return [CHARS.index(t["text"][i]) + 1 if i < len(t["text"]) else 0 for i in range(TEXT_SLOTS)]


def object_chars(scene, pixels, hw, cmap, patch=14):
    """[TEXT_SLOTS, h*w] long: every patch inside a word's / number's box names its characters by position (IGNORE
    elsewhere). Factorised so a query's average of the patches keeps which digit comes first: a number is then
    two 10-way choices, not one 100-way one."""
    h, w = hw
    X, Y = patch_centres(pixels, hw, cmap, patch)
    out = np.full((TEXT_SLOTS, h, w), IGNORE, np.int64)
    for t in scene["texts"]:
        b = t["box"]
        inside = (X >= b[0]) & (X < b[2]) & (Y >= b[1]) & (Y < b[3])
        for k, c in enumerate(text_chars(t)):
            out[k][inside] = c
    return torch.from_numpy(out.reshape(TEXT_SLOTS, h * w))


def query_chars(scene, hw, cmap, patch=14):
    """[TEXT_SLOTS, 64] long: the characters of the word / number centred in each query's cell (as query_labels
    assigns objects to cells), IGNORE for the other queries."""
    out = np.full((TEXT_SLOTS, CELL * CELL), IGNORE, np.int64)
    for k, _, _, o, is_text in cell_objects(scene, hw, cmap, patch):
        out[:, k] = text_chars(o) if is_text else IGNORE
    return torch.from_numpy(out)


COORD_DIGITS = 12                                 # hundreds and tens digit of cx, cy, x1, y1, x2, y2


def box_digits(box):
    """[N, 4] float boxes (fractions of the crop, NaN rows = no object) -> [COORD_DIGITS, N] long: the hundreds and
    tens digits of the box centre and corners in MiniCPM-V's 0-1000 coordinates (IGNORE where NaN). As classes, so
    an answer's digits are a look-up in the image rows rather than a regression the language model must learn."""
    x1, y1, x2, y2 = box.unbind(1)
    vals = torch.stack([(x1 + x2) / 2, (y1 + y2) / 2, x1, y1, x2, y2])              # [6, N]
    on = ~vals.isnan()
    n = torch.where(on, vals, torch.zeros_like(vals)).mul(1000).round().clamp(0, 999).long()
    d = torch.stack([n // 100, n // 10 % 10], 1).reshape(COORD_DIGITS, -1)           # cx hundreds, cx tens, cy ...
    return torch.where(on.repeat_interleave(2, 0), d, torch.full_like(d, IGNORE))


def query_attention_targets(scene, pixels, hw, cmap, patch=14, own=False):
    """[64, h*w] float, rows summing to 1: where each resampler query should look. A query whose cell holds an
    object's centre (query_labels' owner) looks at that object's patches (those whose centre is inside its box;
    the patch under the box centre when none is); an empty cell's query looks at the patches of its cell.
    With `own`, a shape's query looks only at the patches showing the shape's own colour (on_shape; its box when
    none does) and an empty cell's query only at its patches off every object (its whole cell when none is), so
    an object's row is not diluted by background and an empty row does not average a neighbour's object.
    Training-only: supervising the resampler's attention with it teaches the cell map directly, instead of
    leaving the queries to discover it through read-outs of their output."""
    h, w = hw
    X, Y = patch_centres(pixels, hw, cmap, patch)
    px = pixels[Y, X].astype(np.int64)
    out = np.zeros((CELL * CELL, h * w), np.float32)
    gy, gx = np.meshgrid((np.arange(h) + 0.5) / h * CELL, (np.arange(w) + 0.5) / w * CELL, indexing="ij")
    cell_of_patch = (np.minimum(CELL - 1, gy.astype(np.int64)) * CELL + np.minimum(CELL - 1, gx.astype(np.int64))).reshape(-1)
    out[cell_of_patch, np.arange(h * w)] = 1.0
    own_px = {id(s): on_shape(s, X, Y, px).reshape(-1) for s in scene["shapes"]} if own else {}
    if own:
        occupied = np.zeros(h * w, bool)
        for m in own_px.values():
            occupied |= m
        for t in scene["texts"]:
            occupied |= in_box(t["box"], X, Y).reshape(-1)
        free = out * ~occupied[None]
        has_free = free.sum(1) > 0
        out[has_free] = free[has_free]
    for k in range(CELL * CELL):                       # a cell no patch centre falls in: the nearest patch
        if out[k].sum() == 0:
            cy, cx = (k // CELL + 0.5) / CELL * h, (k % CELL + 0.5) / CELL * w
            out[k, min(h - 1, int(cy)) * w + min(w - 1, int(cx))] = 1.0
    for k, gx, gy, o, _ in cell_objects(scene, hw, cmap, patch):   # larger objects win a shared cell
        inside = in_box(o["box"], X, Y).reshape(-1)
        mine = own_px.get(id(o))
        if mine is not None and mine.any():
            inside = mine
        out[k] = 0.0
        if inside.any():
            out[k, inside] = 1.0
        else:                                          # gx, gy: the centre in cell units
            out[k, min(h - 1, int(gy / CELL * h)) * w + min(w - 1, int(gx / CELL * w))] = 1.0
    return torch.from_numpy(out / out.sum(1, keepdims=True))


def shape_instances(scene, pixels, hw, cmap, patch=14):
    """([h*w] long: the index of the shape under each patch centre (-1 off shapes; its own colour only, so an
    overlapping shape's patches are not counted twice), [n] long: each shape's kind class 0-4)."""
    h, w = hw
    X, Y = patch_centres(pixels, hw, cmap, patch)
    px = pixels[Y, X].astype(np.int64)
    inst = np.full((h, w), -1, np.int64)
    for i, s in enumerate(scene["shapes"]):
        inst[on_shape(s, X, Y, px)] = i
    kinds = torch.tensor([KINDS.index(s["kind"]) for s in scene["shapes"]], dtype=torch.long)
    return torch.from_numpy(inst.reshape(-1)), kinds
