"""Deterministic per-class train/test split of a scene-classification folder.

    python tools/dataset_converters/scene_cls_split.py ROOT \\
        --train-ratio 0.8 [--seed 0] --out-dir OUT

ROOT is a class-folder tree (``ROOT/<class>/<image>``: EuroSAT_RGB,
NWPU-RESISC45, AID, UC Merced ...). OUT receives mmpretrain annotation
files, one ``<class>/<image> <label>`` per line, paths relative to ROOT:

    OUT/classes.txt   class names, line i = label i (sorted folder names)
    OUT/train.txt     round(ratio * n) images of every class
    OUT/test.txt      the rest

Papers quote these benchmarks at fixed ratios (EuroSAT 8:2, RESISC45 2:8 and
1:9) over random splits. The split is
:func:`mmgersp.datasets.class_folders.deterministic_split` (per class, files
ordered by a hash of seed and path), a function of (folder contents, ratio,
seed) on any machine, and the same one ``eval_features.py --dump-split``
writes. Use another ``--seed`` per run for the paper's mean +- std.
"""
import argparse
import os.path as osp
import sys
from collections import Counter
from typing import List, Optional

from mmgersp.datasets.class_folders import (deterministic_split,
                                            scan_class_folders, write_split)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Deterministic per-class train/test split of a '
        'class-folder tree, written as mmpretrain annotation files')
    parser.add_argument('root', help='class-folder tree: ROOT/<class>/<img>')
    parser.add_argument('--train-ratio', type=float, required=True,
                        help='fraction of every class used for training, '
                        'e.g. 0.8 (EuroSAT 8:2), 0.2 / 0.1 (RESISC45)')
    parser.add_argument('--seed', type=int, default=0, help='split seed')
    parser.add_argument('--out-dir', required=True,
                        help='where classes.txt, train.txt, test.txt go')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    if not 0 < args.train_ratio < 1:
        raise ValueError(
            f'--train-ratio must be in (0, 1), got {args.train_ratio}')
    classes, samples = scan_class_folders(args.root, progress=True)
    counts = Counter(label for _, label in samples)
    too_small = [c for i, c in enumerate(classes) if counts[i] < 2]
    if too_small:
        raise ValueError(
            f'classes with fewer than 2 images cannot be split: {too_small}')
    train, test = deterministic_split(samples, args.train_ratio, args.seed)
    write_split(args.out_dir, classes, train, test)
    print(f'{len(classes)} classes, {len(samples)} images: {len(train)} '
          f'train, {len(test)} test (ratio {args.train_ratio}, seed '
          f'{args.seed}) -> {osp.abspath(args.out_dir)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
