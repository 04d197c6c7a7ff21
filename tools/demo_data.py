"""Small generated image sets, so the demo runs without any download.

``tools/demo.py`` imports this file as its sibling module ``demo_data``
(Python puts a script's folder on ``sys.path``); training never needs it.
"""
import os
import os.path as osp
from typing import Tuple

import numpy as np
from PIL import Image, ImageDraw

NATURAL_CLASSES = ('disc', 'square', 'stripes', 'checker')


def _aerial_tile(rng: np.random.Generator, size: int) -> Image.Image:
    """Fields, roads and round tanks seen from above."""
    img = Image.new('RGB', (size, size),
                    tuple(int(c) for c in rng.integers(60, 140, 3)))
    draw = ImageDraw.Draw(img)
    for _ in range(rng.integers(3, 8)):  # fields
        x0, y0 = rng.integers(0, size, 2)
        w, h = rng.integers(size // 8, size // 2, 2)
        colour = tuple(int(c) for c in rng.integers(40, 200, 3))
        draw.rectangle([x0, y0, x0 + w, y0 + h], fill=colour)
    for _ in range(rng.integers(1, 4)):  # roads
        if rng.random() < 0.5:
            y = int(rng.integers(0, size))
            draw.line([0, y, size, y], fill=(180, 180, 170),
                      width=int(rng.integers(2, 5)))
        else:
            x = int(rng.integers(0, size))
            draw.line([x, 0, x, size], fill=(180, 180, 170),
                      width=int(rng.integers(2, 5)))
    for _ in range(rng.integers(0, 5)):  # tanks
        x, y = rng.integers(0, size, 2)
        r = int(rng.integers(3, size // 10 + 4))
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(220, 220, 220))
    noise = rng.normal(0, 8, (size, size, 3))
    return Image.fromarray(
        np.clip(np.asarray(img, np.float32) + noise, 0, 255).astype(np.uint8))


def _natural_image(rng: np.random.Generator, cls: str,
                   size: int) -> Image.Image:
    """One object class drawn in random colours on a random background."""
    bg = tuple(int(c) for c in rng.integers(0, 256, 3))
    fg = tuple(int(c) for c in rng.integers(0, 256, 3))
    img = Image.new('RGB', (size, size), bg)
    draw = ImageDraw.Draw(img)
    c, r = rng.integers(size // 3, 2 * size // 3, 2), int(
        rng.integers(size // 6, size // 3))
    box = [c[0] - r, c[1] - r, c[0] + r, c[1] + r]
    if cls == 'disc':
        draw.ellipse(box, fill=fg)
    elif cls == 'square':
        draw.rectangle(box, fill=fg)
    else:
        step = int(rng.integers(4, 9))
        for i in range(0, size, step):
            for j in range(0, size, step):
                on = (i // step) % 2 == 0 if cls == 'stripes' else (
                    (i // step + j // step) % 2 == 0)
                if on:
                    draw.rectangle([j, i, j + step - 1, i + step - 1],
                                   fill=fg)
    return img


def make_demo_data(root: str,
                   num_rs: int = 128,
                   num_per_class: int = 32,
                   size: int = 96,
                   seed: int = 0) -> Tuple[str, str]:
    """Write ``root/rs/*.jpg`` and ``root/natural/<class>/*.jpg``.

    Returns the two roots. Existing files are kept (re-running is cheap).
    """
    rng = np.random.default_rng(seed)
    rs_root, nat_root = osp.join(root, 'rs'), osp.join(root, 'natural')
    os.makedirs(rs_root, exist_ok=True)
    for i in range(num_rs):
        path = osp.join(rs_root, f'tile_{i:04d}.jpg')
        tile = _aerial_tile(rng, size)
        if not osp.exists(path):
            tile.save(path, quality=90)
    for cls in NATURAL_CLASSES:
        os.makedirs(osp.join(nat_root, cls), exist_ok=True)
        for i in range(num_per_class):
            path = osp.join(nat_root, cls, f'{cls}_{i:04d}.jpg')
            img = _natural_image(rng, cls, size)
            if not osp.exists(path):
                img.save(path, quality=90)
    return rs_root, nat_root
