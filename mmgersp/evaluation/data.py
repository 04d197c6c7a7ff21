"""Image loading and normalisation for the frozen-feature evaluation.

Class-folder scanning, the deterministic split and annotation files live in
:mod:`mmgersp.datasets.class_folders`.
"""
import os.path as osp
from typing import Sequence, Tuple

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from mmgersp.datasets.class_folders import Sample

# ImageNet statistics in RGB order, 0-255 scale: what GeRSP pre-trains with.
IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)


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
