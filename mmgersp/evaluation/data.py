"""Class-folder trees, a deterministic train/test split, and image loading.

The split must not depend on the file system's listing order, on numpy's
RNG implementation or on which *other* classes exist, so that a number
measured today can be reproduced later on another machine: within each
class, files are ordered by ``sha1(f'{seed}:{relpath}')`` and the first
``round(train_ratio * n)`` go to the training side.
"""
import hashlib
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
# ImageNet statistics in RGB order, 0-255 scale: what GeRSP pre-trains with.
IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)

Sample = Tuple[str, int]  # (path relative to the root, class index)


def scan_class_folders(root: str) -> Tuple[List[str], List[Sample]]:
    """Classes (sorted folder names) and all images under ``root/<class>/``.

    Images may sit at any depth below their class folder.
    """
    if not osp.isdir(root):
        raise FileNotFoundError(f'data root {root!r} is not a folder')
    classes = sorted(d for d in os.listdir(root)
                     if osp.isdir(osp.join(root, d)) and not d.startswith('.'))
    if not classes:
        raise FileNotFoundError(
            f'{root!r} has no class sub-folders (expected <root>/<class>/'
            '<image>)')
    samples, empty = [], []
    for label, name in enumerate(classes):
        found = []
        for dirpath, dirnames, filenames in os.walk(osp.join(root, name)):
            dirnames.sort()
            found += [
                osp.relpath(osp.join(dirpath, f), root)
                for f in sorted(filenames)
                if f.lower().endswith(IMG_EXTENSIONS)
            ]
        if not found:
            empty.append(name)
        samples += [(p, label) for p in found]
    if empty:
        raise FileNotFoundError(f'class folders without images under '
                                f'{root!r}: {empty}')
    return classes, samples


def _split_key(seed: int, relpath: str) -> str:
    return hashlib.sha1(f'{seed}:{relpath}'.encode()).hexdigest()


def deterministic_split(
        samples: Sequence[Sample],
        train_ratio: float = 0.5,
        seed: int = 0,
        max_per_class: Optional[int] = None
) -> Tuple[List[Sample], List[Sample]]:
    """Per-class train/test split that depends only on paths and ``seed``.

    ``max_per_class`` first keeps a (hash-ordered, hence unbiased) subset of
    each class, for quick checks on big trees. Every class with at least two
    images has at least one image on each side.
    """
    if not 0.0 < train_ratio < 1.0:
        raise ValueError(f'train_ratio must be in (0, 1), got {train_ratio}')
    by_class = {}
    for path, label in samples:
        by_class.setdefault(label, []).append(path)
    train, test = [], []
    for label in sorted(by_class):
        paths = sorted(by_class[label], key=lambda p: _split_key(seed, p))
        if max_per_class is not None:
            paths = paths[:max_per_class]
        n_train = int(round(train_ratio * len(paths)))
        if len(paths) >= 2:
            n_train = min(max(n_train, 1), len(paths) - 1)
        train += [(p, label) for p in sorted(paths[:n_train])]
        test += [(p, label) for p in sorted(paths[n_train:])]
    return train, test


def write_ann_file(samples: Sequence[Sample], path: str) -> str:
    """mmpretrain ``CustomDataset`` annotation file: ``relpath label``."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        f.writelines(f'{p} {label}\n' for p, label in samples)
    return path


def load_image(path: str, img_size: int) -> np.ndarray:
    """RGB uint8 ``(img_size, img_size, 3)``: short side resized, centre crop.

    Scene images are usually square, where this is a plain resize.
    """
    with Image.open(path) as im:
        im = im.convert('RGB')
        w, h = im.size
        scale = img_size / min(w, h)
        nw = max(img_size, round(w * scale))
        nh = max(img_size, round(h * scale))
        im = im.resize((nw, nh), Image.BILINEAR)
        left, top = (nw - img_size) // 2, (nh - img_size) // 2
        im = im.crop((left, top, left + img_size, top + img_size))
        return np.asarray(im, dtype=np.uint8).copy()


class ImageListDataset(Dataset):
    """Normalised CHW tensors and labels for a list of ``(relpath, label)``.

    ``mean``/``std`` are on the 0-255 scale in the order the model expects
    (``channel_order``), as in mmpretrain's data preprocessors.
    """

    def __init__(self,
                 root: str,
                 samples: Sequence[Sample],
                 img_size: int = 224,
                 mean: Sequence[float] = IMAGENET_MEAN,
                 std: Sequence[float] = IMAGENET_STD,
                 channel_order: str = 'RGB') -> None:
        if channel_order.upper() not in ('RGB', 'BGR'):
            raise ValueError(f'channel_order must be RGB or BGR, got '
                             f'{channel_order!r}')
        self.root = root
        self.samples = list(samples)
        self.img_size = img_size
        self.bgr = channel_order.upper() == 'BGR'
        self.mean = torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32).view(-1, 1, 1)

    def __len__(self) -> int:
        return len(self.samples)

    def raw_image(self, index: int) -> np.ndarray:
        """The RGB uint8 image as fed to the model (before normalisation)."""
        return load_image(osp.join(self.root, self.samples[index][0]),
                          self.img_size)

    def normalize(self, rgb: np.ndarray) -> torch.Tensor:
        img = torch.from_numpy(rgb).permute(2, 0, 1).float()
        if self.bgr:
            img = img.flip(0)
        return (img - self.mean) / self.std

    def __getitem__(self, index: int) -> Tuple[torch.Tensor, int]:
        return self.normalize(self.raw_image(index)), self.samples[index][1]
