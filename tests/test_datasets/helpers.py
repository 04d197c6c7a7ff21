"""Small datasets built in memory or in ``tmp_path`` for the dataset tests."""
from typing import Callable, Sequence

import numpy as np
from mmengine.dataset import BaseDataset
from PIL import Image


class IndexDataset(BaseDataset):
    """A dataset whose samples are their own indices (sampler tests)."""

    def __init__(self, length: int, pipeline: Sequence[Callable] = ()):
        self.length = length
        super().__init__(serialize_data=False, pipeline=list(pipeline))

    def load_data_list(self):
        return [dict(index=i) for i in range(self.length)]


def index_dataset(length: int,
                  pipeline: Sequence[Callable] = ()) -> IndexDataset:
    return IndexDataset(length, pipeline)


def write_images(folder, names: Sequence[str], size: int = 8) -> None:
    """Small RGB PNGs, image ``i`` filled with grey level ``10 * i``."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        Image.fromarray(np.full((size, size, 3), 10 * i, np.uint8)).save(
            folder / name)
