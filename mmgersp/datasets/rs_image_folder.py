"""Unlabeled remote-sensing images from a folder tree or a file list."""
import logging
import os
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from mmengine.logging import print_log
from mmpretrain.datasets import CustomDataset
from mmpretrain.registry import DATASETS

from .class_folders import IMG_EXTENSIONS


@DATASETS.register_module()
class RSImageFolder(CustomDataset):
    """Every image below ``data_root`` (any depth), or the paths listed in
    ``ann_file`` (one relative path per line), without labels.

    This is the RS stream of GeRSP: Million-AID's ``test`` split read flat, or
    any user folder. Sub-folder names are ignored, so a class-folder tree
    such as AID works as unlabeled data too.

    Decoding never stops a long run: an image that fails to load (decode)
    is logged with its path, counted (per data-loading process) and replaced
    by another random image; more than ``max_bad_images`` failures in one
    process raise an error, so a systematically broken dataset is noticed
    (:class:`BadImageGuard`, the public ``guard``).

    Args:
        data_root (str): Root folder of the images.
        ann_file (str): Optional file list, relative to ``data_root``.
        extensions (Sequence[str]): Image suffixes to include (any case).
        max_bad_images (int): Tolerated unreadable images per process;
            ``0`` makes the first one an error. Defaults to 100.
    """

    def __init__(self,
                 data_root: str = '',
                 ann_file: str = '',
                 extensions: Sequence[str] = IMG_EXTENSIONS,
                 max_bad_images: int = 100,
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        root = osp.join(data_root, kwargs.get('data_prefix', '') or '')
        if not root or not osp.isdir(root):
            raise FileNotFoundError(
                f'RSImageFolder: data root {root!r} does not exist or is not '
                'a folder')
        self.guard = BadImageGuard(max_bad_images)
        super().__init__(
            data_root=data_root,
            ann_file=ann_file,
            with_label=False,
            extensions=extensions,
            metainfo=metainfo,
            **kwargs)

    def load_data_list(self) -> list:
        try:
            data_list = super().load_data_list()
        except RuntimeError as e:  # mmpretrain: 'Found 0 files ...'
            raise FileNotFoundError(
                f'RSImageFolder: no image with suffix {self.extensions} under '
                f'{self.img_prefix!r}') from e
        if not data_list:
            raise FileNotFoundError(
                f'RSImageFolder: {self.ann_file!r} lists no image')
        return data_list

    @property
    def bad_images(self) -> List[str]:
        """Paths skipped as unreadable in this process (both streams)."""
        return self.guard.bad_images

    def prepare_data(self, idx: int) -> Optional[dict]:
        """Run the pipeline; a failure of a loading step skips the image."""
        return self.guard.prepare(self, idx)


def printable(path: str) -> str:
    """``path`` as text every log handler can write.

    File names that are not valid UTF-8 reach Python as lone surrogates,
    which a UTF-8 log file refuses ("--- Logging error ---", record lost);
    their bytes are shown as ``\\xNN`` instead.
    """
    return os.fsencode(path).decode('utf-8', 'backslashreplace')


class BadImageGuard:
    """Skips images that fail to load, with a budget and a logged warning.

    Only transforms whose name starts with ``Load`` are guarded: an error
    in augmentation is a bug to see, not an image to skip. Each skip logs a
    warning naming the file and is counted (per data-loading process); more
    than ``max_bad_images`` is an error, so a systematically broken dataset
    is noticed. ``RSImageFolder`` owns one; ``DualStreamDataset`` reads its
    natural stream through the same one (one budget, one message).

    Args:
        max_bad_images (int): Tolerated unreadable images per process;
            ``0`` makes the first one an error.
    """

    def __init__(self, max_bad_images: int = 100) -> None:
        self.max_bad_images = max_bad_images
        self.bad_images: List[str] = []

    def skip(self, dataset, idx: int, error: Exception) -> None:
        """Count and log sample ``idx`` of ``dataset`` as unreadable."""
        name = type(dataset).__name__
        path = dataset.get_data_info(idx).get('img_path', f'index {idx}')
        self.bad_images.append(path)
        if len(self.bad_images) > self.max_bad_images:
            raise RuntimeError(
                f'{name}: {len(self.bad_images)} unreadable images '
                f'(max_bad_images={self.max_bad_images}); last: '
                f'{printable(path)}: {error!r}') from error
        print_log(
            f'{name}: skipped unreadable image {printable(path)} '
            f'({error!r}); {len(self.bad_images)} skipped in this process '
            'so far',
            logger='current',
            level=logging.WARNING)

    def prepare(self, dataset, idx: int) -> Optional[dict]:
        """``dataset``'s pipeline on sample ``idx``; None when a loading
        step fails (mmengine's ``BaseDataset`` then draws another index)."""
        results = dataset.get_data_info(idx)
        for transform in dataset.pipeline.transforms:
            if type(transform).__name__.startswith('Load'):
                try:
                    results = transform(results)
                    if results is None:
                        raise ValueError('the loader returned nothing')
                except Exception as e:  # noqa: BLE001 -- any decode failure
                    self.skip(dataset, idx, e)
                    return None
            else:
                results = transform(results)
                if results is None:
                    return None
        return results

    def get(self, dataset, idx: int) -> dict:
        """``dataset[idx]`` with unreadable images skipped: as
        ``BaseDataset.__getitem__``, a random other index replaces a sample
        that yields nothing, at most ``dataset.max_refetch`` times."""
        for _ in range(dataset.max_refetch + 1):
            data = self.prepare(dataset, idx)
            if data is not None:
                return data
            idx = np.random.randint(0, len(dataset))
        raise RuntimeError(
            f'{type(dataset).__name__}: no sample loaded in '
            f'{dataset.max_refetch + 1} tries; check its images')
