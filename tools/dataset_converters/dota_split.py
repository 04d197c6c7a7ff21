"""Split DOTA images into fixed-size crops for the two DOTA protocols.

    # oriented boxes, mmrotate's single-scale protocol: 1024 crops, gap 200
    python tools/dataset_converters/dota_split.py --protocol obb-1024 \\
        --img-dirs data/DOTA/train/images data/DOTA/val/images \\
        --ann-dirs data/DOTA/train/labelTxt data/DOTA/val/labelTxt \\
        --out-dir data/split_ss_dota/trainval
    python tools/dataset_converters/dota_split.py --protocol obb-1024 \\
        --img-dirs data/DOTA/test/images --out-dir data/split_ss_dota/test

    # horizontal boxes, the GeRSP paper's protocol: 800 crops, stride 640
    python tools/dataset_converters/dota_split.py --protocol hbb-800 \\
        --img-dirs data/DOTA/train/images \\
        --ann-dirs data/DOTA/train/labelTxt \\
        --out-dir data/split_800_dota/train       # and val -> .../val

The cropping is mmrotate's own ``tools/data/dota/split/img_split.py``
(shipped in the mmrotate package), so crops, names (``P0001__1024__0___0``)
and the DOTA-format ``annfiles/*.txt`` match mmrotate's ``DOTADataset`` and
its patch merging. This wrapper adds the protocol presets, checks the input
(folders, images, label files, class names) before writing anything, and
shows a progress bar.
"""
import argparse
import importlib.util
import os
import os.path as osp
import sys
from functools import lru_cache, partial
from typing import List, Optional

# protocol -> (crop size, gap = size - stride)
PROTOCOLS = {
    'obb-1024': (1024, 200),  # mmrotate ss_*.json: DOTA-v1.0 oriented
    'hbb-800': (800, 160),  # GeRSP paper: 800 px crops, stride 640
}
DOTA_V1_CLASSES = ('plane', 'baseball-diamond', 'bridge', 'ground-track-field',
                   'small-vehicle', 'large-vehicle', 'ship', 'tennis-court',
                   'basketball-court', 'storage-tank', 'soccer-ball-field',
                   'roundabout', 'harbor', 'swimming-pool', 'helicopter')
IMG_EXTS = ('.png', '.jpg', '.JPG', '.tif', '.bmp')


@lru_cache(maxsize=None)
def mmrotate_img_split():
    """mmrotate's img_split.py as a module (it is a script, not a package)."""
    import mmrotate
    path = osp.join(
        osp.dirname(mmrotate.__file__), '.mim', 'tools', 'data', 'dota',
        'split', 'img_split.py')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'mmrotate\'s DOTA split tool not found at {path}; this mmrotate '
            'install does not ship its tools')
    spec = importlib.util.spec_from_file_location('mmrotate_img_split', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_inputs(img_dirs: List[str], ann_dirs: Optional[List[str]],
                 classes=DOTA_V1_CLASSES) -> int:
    """Fail before cropping: missing folders, no images, unknown classes."""
    if ann_dirs is not None and len(ann_dirs) != len(img_dirs):
        raise ValueError(f'{len(img_dirs)} --img-dirs but {len(ann_dirs)} '
                         '--ann-dirs: give one label folder per image folder')
    n_images = 0
    for i, img_dir in enumerate(img_dirs):
        if not osp.isdir(img_dir):
            raise FileNotFoundError(f'image folder {img_dir!r} does not exist')
        names = [n for n in os.listdir(img_dir) if n.endswith(IMG_EXTS)]
        if not names:
            raise ValueError(f'no {IMG_EXTS} images in {img_dir!r}')
        n_images += len(names)
        if ann_dirs is None:
            continue
        ann_dir = ann_dirs[i]
        if not osp.isdir(ann_dir):
            raise FileNotFoundError(f'label folder {ann_dir!r} does not exist')
        missing = [
            n for n in names
            if not osp.isfile(osp.join(ann_dir, osp.splitext(n)[0] + '.txt'))
        ]
        if missing:
            raise FileNotFoundError(
                f'{len(missing)} images of {img_dir!r} have no label file in '
                f'{ann_dir!r}, e.g. {sorted(missing)[:3]}')
        for name in sorted(os.listdir(ann_dir)):
            if not name.endswith('.txt'):
                continue
            with open(osp.join(ann_dir, name)) as f:
                for line_no, line in enumerate(f, 1):
                    items = line.split()
                    if len(items) >= 9 and items[8] not in classes:
                        raise ValueError(
                            f'{osp.join(ann_dir, name)}:{line_no}: class '
                            f'{items[8]!r} is not a DOTA-v1.0 class '
                            f'{classes}')
    return n_images


def _split_one(task, size, gap, img_rate_thr, iof_thr, padding_value,
               img_dir_out, ann_dir_out, img_ext) -> int:
    """Crop one image (runs in worker processes); returns the crop count."""
    info, img_dir = task
    split = mmrotate_img_split()
    windows = split.get_sliding_window(info, [size], [gap], img_rate_thr)
    window_anns = split.get_window_obj(info, windows, iof_thr)
    patches = split.crop_and_save_img(info, windows, window_anns, img_dir,
                                      False, padding_value, img_dir_out,
                                      ann_dir_out, img_ext)
    return len(patches)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Split DOTA images into crops (mmrotate\'s splitter)')
    parser.add_argument('--protocol', choices=sorted(PROTOCOLS),
                        required=True,
                        help='obb-1024: 1024 crops, gap 200 (mmrotate); '
                        'hbb-800: 800 crops, stride 640 (GeRSP paper)')
    parser.add_argument('--img-dirs', nargs='+', required=True,
                        help='DOTA image folders (e.g. train/images)')
    parser.add_argument('--ann-dirs', nargs='+',
                        help='DOTA labelTxt folders, one per image folder; '
                        'leave out for the unlabeled test split')
    parser.add_argument('--out-dir', required=True,
                        help='gets images/ and annfiles/; must be new or '
                        'empty')
    parser.add_argument('--size', type=int, help='override the crop size')
    parser.add_argument('--gap', type=int, help='override the overlap')
    parser.add_argument('--img-rate-thr', type=float, default=0.6,
                        help='min fraction of a crop that must be image')
    parser.add_argument('--iof-thr', type=float, default=0.7,
                        help='min fraction of an object inside a crop')
    parser.add_argument('--padding-value', type=int, nargs='+',
                        default=[104, 116, 124],
                        help='BGR fill of crops past the border (mmrotate)')
    parser.add_argument('--save-ext', default='.png',
                        choices=['.png', '.jpg', '.bmp', '.tif'])
    parser.add_argument('--nproc', type=int, default=4,
                        help='worker processes')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    size, gap = PROTOCOLS[args.protocol]
    size, gap = args.size or size, args.gap if args.gap is not None else gap
    if not 0 <= gap < size:
        raise ValueError(f'need 0 <= gap < size, got size {size}, gap {gap}')
    if osp.isdir(args.out_dir) and os.listdir(args.out_dir):
        raise FileExistsError(
            f'{args.out_dir!r} is not empty; crops of different runs must '
            'not mix')
    n_images = check_inputs(args.img_dirs, args.ann_dirs)

    split = mmrotate_img_split()
    infos, tasks = [], []
    ann_dirs = args.ann_dirs or [None] * len(args.img_dirs)
    for img_dir, ann_dir in zip(args.img_dirs, ann_dirs):
        loaded = split.load_dota(img_dir, ann_dir, nproc=1)
        infos += loaded
        tasks += [(info, img_dir) for info in loaded]
    tasks.sort(key=lambda t: t[0]['id'])

    img_out = osp.join(args.out_dir, 'images')
    ann_out = osp.join(args.out_dir, 'annfiles')
    os.makedirs(img_out, exist_ok=True)
    os.makedirs(ann_out, exist_ok=True)
    padding = args.padding_value[0] if len(args.padding_value) == 1 \
        else args.padding_value
    worker = partial(
        _split_one,
        size=size,
        gap=gap,
        img_rate_thr=args.img_rate_thr,
        iof_thr=args.iof_thr,
        padding_value=padding,
        img_dir_out=img_out,
        ann_dir_out=ann_out,
        img_ext=args.save_ext)
    print(f'{args.protocol}: {n_images} images -> {size}x{size} crops, gap '
          f'{gap} (stride {size - gap}) in {osp.abspath(args.out_dir)}')
    from mmengine.utils import track_parallel_progress, track_progress
    if args.nproc > 1:
        counts = track_parallel_progress(worker, tasks, args.nproc)
    else:
        counts = track_progress(worker, tasks)
    print(f'\n{sum(counts)} crops from {len(tasks)} images')
    return 0


if __name__ == '__main__':
    sys.exit(main())
