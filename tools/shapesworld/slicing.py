"""The authors' image slicing and preprocessing (MiniCPM-V 2.6 / 4.5 processor rules), PIL bicubic."""
import math

import numpy as np
import torch
from PIL import Image

S, P, MAX_SLICES = 448, 14, 9


def ensure_divide(length, p=P):
    return max(round(length / p) * p, p)  # Python round: half to even, as the authors


def find_best_resize(size, upscale=False):
    w, h = size
    if w * h > S * S or upscale:
        r = w / h
        h = int(S / math.sqrt(r))
        w = int(h * r)
    return ensure_divide(w), ensure_divide(h)


def sliced_grid(size, max_n=MAX_SLICES):
    w, h = size
    ratio = w * h / (S * S)
    multiple = min(math.ceil(ratio), max_n)
    if multiple <= 1:
        return None
    cands = [n for n in (multiple - 1, multiple, multiple + 1) if n != 1 and n <= max_n]
    log_r = math.log(w / h)
    best, best_err = None, float("inf")
    for n in cands:
        for m in range(1, n + 1):
            if n % m == 0:
                err = abs(log_r - math.log(m / (n // m)))
                if err < best_err:
                    best, best_err = [m, n // m], err
    return best


def grid_crops(grid):
    """How many crops (overview + slices) a slice grid ([cols, rows] or None) means."""
    return 1 + (grid[0] * grid[1] if grid else 0)


def crop_count(width, height, max_n=MAX_SLICES):
    """How many crops crops_of cuts from a width x height image."""
    return grid_crops(sliced_grid((width, height), max_n))


def refine_size(size, grid):
    w, h = size
    gx, gy = grid
    bw, bh = find_best_resize((ensure_divide(w, gx) / gx, ensure_divide(h, gy) / gy), upscale=True)
    return bw * gx, bh * gy


def to_tensor(img):
    a = np.asarray(img.convert("RGB"), dtype=np.float32) / np.float32(255)
    a = (a - np.float32(0.5)) / np.float32(0.5)
    return torch.from_numpy(a).permute(2, 0, 1).contiguous()


def crops_of(img, max_n=MAX_SLICES, with_maps=False):
    """PIL image -> (list of [3,H,W] tensors: overview then slices row-major, grid [cols, rows] or None).

    with_maps: also return, per crop, (ox, oy, sx, sy) with original = ((ox + x) * sx, (oy + y) * sy).
    """
    size = img.size
    W, H = size
    grid = sliced_grid(size, max_n)
    first = find_best_resize(size, upscale=grid is None)
    out = [to_tensor(img.resize(first, Image.BICUBIC))]
    maps = [(0, 0, W / first[0], H / first[1])]
    if grid is not None:
        rw, rh = refine_size(size, grid)
        refined = img.resize((rw, rh), Image.BICUBIC)
        cw, ch = rw // grid[0], rh // grid[1]
        for r in range(grid[1]):
            for c in range(grid[0]):
                out.append(to_tensor(refined.crop((c * cw, r * ch, (c + 1) * cw, (r + 1) * ch))))
                maps.append((c * cw, r * ch, W / rw, H / rh))
    return (out, grid, maps) if with_maps else (out, grid)


def image_placeholder(grid, q=64, image_id=0):
    """V2.6 / 4.5 placeholder text for one image (use_image_id on)."""
    s = f"<image_id>{image_id}</image_id>" if image_id is not None else ""
    s += "<image>" + "<unk>" * q + "</image>"
    if grid is not None:
        rows = ["".join("<slice>" + "<unk>" * q + "</slice>" for _ in range(grid[0])) for _ in range(grid[1])]
        s += "\n".join(rows)
    return s
