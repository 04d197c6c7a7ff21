"""Class-folder trees on disk: image suffixes, the scan, the one split.

The single owner of these three concepts: ``RSImageFolder`` takes its
suffixes from here, and ``scene_cls_split.py``, ``eval_features.py
--dump-split``, ``FeatureEvalHook`` and ``compare_pretraining.py`` all split
with :func:`deterministic_split`, so the same seed and data give the same
``classes.txt``/``train.txt``/``test.txt`` whichever tool wrote them.

The split must not depend on the file system's listing order, on an RNG
implementation or on which *other* classes exist, so that a number measured
today can be reproduced later on another machine: within each class, files
are ordered by ``sha1(f'{seed}:{relpath}')`` and the first
``round(train_ratio * n)`` go to the training side.

Light (mmengine/mmpretrain helpers only): ``RSImageFolder`` imports it.
"""
import hashlib
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

from mmengine.utils import track_iter_progress
from mmpretrain.datasets.custom import find_folders, get_samples

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')

Sample = Tuple[str, int]  # (path relative to the root, class index)


class NoClassFoldersError(FileNotFoundError, ValueError):
    """A tree without class sub-folders: the data is missing (so a
    ``FileNotFoundError``) and the argument naming it is wrong (so a
    ``ValueError``); callers catch whichever they expect."""


def list_class_folders(root: str, what: str = 'data root') -> List[str]:
    """Sorted class names: the non-hidden sub-folders of ``root``.

    Uses mmpretrain's ``find_folders`` (what its ``CustomDataset`` reads a
    folder tree with); ``what`` names ``root`` in the error messages.
    """
    if not osp.isdir(root):
        raise FileNotFoundError(
            f'{what} {root!r} does not exist or is not a folder')
    classes = [c for c in find_folders(root)[0] if not c.startswith('.')]
    if not classes:
        raise NoClassFoldersError(
            f'{what} {root!r} has no class sub-folders (expected '
            '<root>/<class>/<image>)')
    return classes


def scan_class_folders(
        root: str,
        extensions: Sequence[str] = IMG_EXTENSIONS,
        progress: bool = False) -> Tuple[List[str], List[Sample]]:
    """Classes and every image under ``root/<class>/`` (any depth).

    Paths are relative to ``root``, sorted within each class. A class
    folder without images is an error (its label would never occur).
    """
    classes = list_class_folders(root)
    suffixes = tuple(e.lower() for e in extensions)
    samples, empty = [], []
    for label, name in enumerate(
            track_iter_progress(classes) if progress else classes):
        found, _ = get_samples(root, {name: label},
                               lambda f: f.lower().endswith(suffixes))
        if not found:
            empty.append(name)
        samples += found
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


def write_split(out_dir: str, classes: Sequence[str], train: Sequence[Sample],
                test: Sequence[Sample]) -> None:
    """``classes.txt`` (line i = label i), ``train.txt`` and ``test.txt``."""
    os.makedirs(out_dir, exist_ok=True)
    with open(osp.join(out_dir, 'classes.txt'), 'w') as f:
        f.writelines(f'{c}\n' for c in classes)
    write_ann_file(train, osp.join(out_dir, 'train.txt'))
    write_ann_file(test, osp.join(out_dir, 'test.txt'))
