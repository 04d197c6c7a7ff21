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
1:9) over random splits; fixing the file order (sorted) and the generator
(``random.Random(seed)``, one shuffle per class in sorted class order) makes
the split a function of (folder contents, ratio, seed) on any machine.
Use another ``--seed`` per run for the paper's mean +- std.
"""
import argparse
import os
import os.path as osp
import random
import sys
from typing import Dict, List, Optional, Sequence

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def list_class_images(root: str,
                      extensions: Sequence[str] = IMG_EXTENSIONS
                      ) -> Dict[str, List[str]]:
    """``{class: sorted image paths relative to root}``; validates the tree."""
    if not osp.isdir(root):
        raise FileNotFoundError(f'{root!r} does not exist or is not a folder')
    classes = sorted(d for d in os.listdir(root)
                     if osp.isdir(osp.join(root, d)) and not d.startswith('.'))
    if not classes:
        raise ValueError(f'{root!r} has no class sub-folders (expected '
                         '<root>/<class>/<image>)')
    from mmengine.utils import track_iter_progress
    images = {}
    for cls in track_iter_progress(classes):
        files = []
        for dirpath, _, names in os.walk(osp.join(root, cls)):
            files += [
                osp.relpath(osp.join(dirpath, n), root) for n in names
                if n.lower().endswith(tuple(extensions))
            ]
        images[cls] = sorted(f.replace(os.sep, '/') for f in files)
    too_small = [c for c, f in images.items() if len(f) < 2]
    if too_small:
        raise ValueError(
            f'classes with fewer than 2 images cannot be split: {too_small}')
    return images


def split_class_images(images: Dict[str, List[str]],
                       train_ratio: float,
                       seed: int = 0) -> Dict[str, List[tuple]]:
    """``{'train': [(path, label)], 'test': [...]}``, stratified by class."""
    if not 0 < train_ratio < 1:
        raise ValueError(f'--train-ratio must be in (0, 1), got {train_ratio}')
    rng = random.Random(seed)
    out = dict(train=[], test=[])
    for label, cls in enumerate(sorted(images)):
        files = list(images[cls])
        rng.shuffle(files)
        n_train = min(max(int(round(train_ratio * len(files))), 1),
                      len(files) - 1)
        out['train'] += [(f, label) for f in sorted(files[:n_train])]
        out['test'] += [(f, label) for f in sorted(files[n_train:])]
    return out


def write_split(images: Dict[str, List[str]], split: Dict[str, List[tuple]],
                out_dir: str) -> None:
    """classes.txt, train.txt and test.txt in mmpretrain's format."""
    os.makedirs(out_dir, exist_ok=True)
    with open(osp.join(out_dir, 'classes.txt'), 'w') as f:
        f.writelines(f'{c}\n' for c in sorted(images))
    for name, items in split.items():
        with open(osp.join(out_dir, f'{name}.txt'), 'w') as f:
            f.writelines(f'{path} {label}\n' for path, label in items)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Deterministic per-class train/test split of a '
        'class-folder tree, written as mmpretrain annotation files')
    parser.add_argument('root', help='class-folder tree: ROOT/<class>/<img>')
    parser.add_argument('--train-ratio', type=float, required=True,
                        help='fraction of every class used for training, '
                        'e.g. 0.8 (EuroSAT 8:2), 0.2 / 0.1 (RESISC45)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the shuffle (default 0)')
    parser.add_argument('--out-dir', required=True,
                        help='where classes.txt, train.txt, test.txt go')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    images = list_class_images(args.root)
    split = split_class_images(images, args.train_ratio, args.seed)
    write_split(images, split, args.out_dir)
    n = sum(len(v) for v in images.values())
    print(f'{len(images)} classes, {n} images: {len(split["train"])} train, '
          f'{len(split["test"])} test (ratio {args.train_ratio}, seed '
          f'{args.seed}) -> {osp.abspath(args.out_dir)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
