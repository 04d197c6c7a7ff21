"""Prepare LoveDA for mmseg's ``LoveDADataset`` and check the result.

    python tools/dataset_converters/loveda.py SRC [-o data/loveDA] \\
        [--splits train val] [--skip-masks]

SRC is either the folder with the official ``Train.zip``, ``Val.zip`` and
``Test.zip`` (they are unpacked by mmseg's own converter,
``tools/dataset_converters/loveda.py`` of the mmsegmentation package, into
``OUT/{img_dir,ann_dir}/{train,val,test}``), or an already converted root,
which is only checked.

The check, per split: both folders exist, every image has its mask and
vice versa, and (unless ``--skip-masks``) every mask is single-channel, of
its image's size, with values in 0..7 (0 = no-data, which
``reduce_zero_label=True`` maps to 255, ignored). Exits 1 on any problem.
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
from typing import List, Optional

NUM_VALUES = 8  # 0 = no-data + 7 classes


def mmseg_converter() -> str:
    """Path of mmseg's LoveDA converter script inside the installed package."""
    import mmseg
    path = osp.join(
        osp.dirname(mmseg.__file__), '.mim', 'tools', 'dataset_converters',
        'loveda.py')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'mmseg\'s LoveDA converter not found at {path}')
    return path


def check_split(root: str, split: str, check_masks: bool = True) -> List[str]:
    """Problems of one split of a converted LoveDA root."""
    import numpy as np
    from mmengine.utils import track_iter_progress
    from PIL import Image

    img_dir = osp.join(root, 'img_dir', split)
    ann_dir = osp.join(root, 'ann_dir', split)
    if not osp.isdir(img_dir):
        return [f'{img_dir} does not exist']
    images = sorted(n for n in os.listdir(img_dir) if n.endswith('.png'))
    if not images:
        return [f'no .png images in {img_dir}']
    if split == 'test':  # LoveDA's test masks are not public
        print(f'test: {len(images)} images (no masks)')
        return []
    if not osp.isdir(ann_dir):
        return [f'{ann_dir} does not exist']
    masks = sorted(n for n in os.listdir(ann_dir) if n.endswith('.png'))
    problems = [f'image without mask: {osp.join(img_dir, n)}'
                for n in sorted(set(images) - set(masks))]
    problems += [f'mask without image: {osp.join(ann_dir, n)}'
                 for n in sorted(set(masks) - set(images))]
    print(f'{split}: {len(images)} images, {len(masks)} masks')
    if not check_masks:
        return problems
    for name in track_iter_progress(sorted(set(images) & set(masks))):
        with Image.open(osp.join(img_dir, name)) as img:
            size = img.size
        mask = np.asarray(Image.open(osp.join(ann_dir, name)))
        path = osp.join(ann_dir, name)
        if mask.ndim != 2:
            problems.append(f'{path}: {mask.ndim}-D, expected one channel')
        elif mask.shape[::-1] != size:
            problems.append(f'{path}: size {mask.shape[::-1]} != image {size}')
        elif mask.max() >= NUM_VALUES:
            problems.append(f'{path}: value {int(mask.max())} outside '
                            f'0..{NUM_VALUES - 1}')
    return problems


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Unpack (with mmseg\'s converter) and check LoveDA')
    parser.add_argument('src', help='folder with Train.zip/Val.zip/Test.zip, '
                        'or a converted root (img_dir/, ann_dir/)')
    parser.add_argument('-o', '--out-dir', default=None,
                        help='converted root (default: data/loveDA when '
                        'unpacking, SRC when checking)')
    parser.add_argument('--splits', nargs='+', default=['train', 'val'],
                        choices=['train', 'val', 'test'])
    parser.add_argument('--skip-masks', action='store_true',
                        help='only pair images and masks, do not read masks')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    if not osp.isdir(args.src):
        print(f'error: {args.src!r} is not a folder')
        return 1
    zips = [z for z in ('Train.zip', 'Val.zip', 'Test.zip')
            if osp.isfile(osp.join(args.src, z))]
    if zips:
        if len(zips) != 3:
            print(f'error: {args.src!r} has only {zips}; mmseg\'s converter '
                  'needs Train.zip, Val.zip and Test.zip')
            return 1
        root = args.out_dir or osp.join('data', 'loveDA')
        print(f'unpacking {args.src} into {root} with mmseg\'s converter')
        subprocess.run([sys.executable, mmseg_converter(), args.src, '-o',
                        root], check=True)
    else:
        root = args.out_dir or args.src
    problems = []
    for split in args.splits:
        problems += check_split(root, split, not args.skip_masks)
    if problems:
        print(f'\n{len(problems)} problems:')
        for p in problems[:100]:
            print(f'  {p}')
        return 1
    print(f'OK: {osp.abspath(root)} is ready for LoveDADataset')
    return 0


if __name__ == '__main__':
    sys.exit(main())
