"""Check a DIOR copy before training on it, and count its boxes.

    python tools/dataset_converters/dior.py data/DIOR \\
        [--splits train val test] \\
        [--ann-subdir 'Annotations/Horizontal Bounding Boxes']

DIOR needs no conversion: ``mmgersp.datasets.dior.DIORDataset`` (mmdet) and
mmrotate's ``DIORDataset`` read the official layout directly::

    DIOR/JPEGImages-trainval/*.jpg      (train + val images)
    DIOR/JPEGImages-test/*.jpg
    DIOR/Annotations/Horizontal Bounding Boxes/*.xml   (DIOR-R release;
    DIOR/Annotations/Oriented Bounding Boxes/*.xml      the original release
                                                        has Annotations/*.xml)
    DIOR/ImageSets/Main/{train,val,test}.txt

A wrong copy fails only when a dataloader reaches the bad file, hours in;
this walks every listed image once (with a progress bar), reports every
missing image or XML, unreadable XML and unknown class name (matched
case-insensitively, like the datasets), prints boxes per class, and exits 1
when anything is wrong.
"""
import argparse
import os.path as osp
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from typing import Dict, List, Optional

SPLIT_IMAGES = {
    'train': 'JPEGImages-trainval',
    'val': 'JPEGImages-trainval',
    'test': 'JPEGImages-test'
}


def check_split(root: str, split: str, ann_subdir: str,
                img_subdir: Optional[str], classes: tuple) -> Dict:
    """Problems and per-class box counts of one ``ImageSets/Main`` list."""
    from mmengine.utils import track_iter_progress
    lower = {c.lower() for c in classes}
    list_file = osp.join(root, 'ImageSets', 'Main', f'{split}.txt')
    result = dict(images=0, boxes=Counter(), problems=[])
    if not osp.isfile(list_file):
        result['problems'].append(f'{list_file} does not exist')
        return result
    with open(list_file) as f:
        ids = [line.strip() for line in f if line.strip()]
    img_dir = osp.join(root, img_subdir or SPLIT_IMAGES[split])
    ann_dir = osp.join(root, ann_subdir)
    for folder in (img_dir, ann_dir):
        if not osp.isdir(folder):
            result['problems'].append(f'{folder} does not exist')
    if result['problems']:
        return result
    print(f'{split}: {len(ids)} images listed in {list_file}')
    for img_id in track_iter_progress(ids):
        img = osp.join(img_dir, f'{img_id}.jpg')
        xml = osp.join(ann_dir, f'{img_id}.xml')
        if not osp.isfile(img):
            result['problems'].append(f'missing image {img}')
        if not osp.isfile(xml):
            result['problems'].append(f'missing annotation {xml}')
            continue
        try:
            objects = ET.parse(xml).getroot().findall('object')
        except ET.ParseError as e:
            result['problems'].append(f'unreadable {xml}: {e}')
            continue
        for obj in objects:
            name = (obj.findtext('name') or '').strip()
            if name.lower() not in lower:
                result['problems'].append(f'unknown class {name!r} in {xml}')
            else:
                result['boxes'][name.lower()] += 1
        result['images'] += 1
    return result


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Check a DIOR copy')
    parser.add_argument('root', help='DIOR root folder')
    parser.add_argument('--splits', nargs='+',
                        default=['train', 'val', 'test'],
                        choices=['train', 'val', 'test'])
    parser.add_argument('--ann-subdir',
                        default='Annotations/Horizontal Bounding Boxes',
                        help="XML folder under root ('Annotations' for the "
                        "original release, 'Annotations/Oriented Bounding "
                        "Boxes' for DIOR-R)")
    parser.add_argument('--img-subdir',
                        help='image folder under root for every split '
                        '(default: JPEGImages-trainval / JPEGImages-test)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    from mmgersp.datasets.dior import DIOR_CLASSES
    if not osp.isdir(args.root):
        print(f'error: {args.root!r} is not a folder')
        return 1
    problems, boxes, images = [], Counter(), 0
    for split in args.splits:
        result = check_split(args.root, split, args.ann_subdir,
                             args.img_subdir, DIOR_CLASSES)
        problems += result['problems']
        boxes += result['boxes']
        images += result['images']
    print(f'\n{images} images, {sum(boxes.values())} boxes')
    for cls in DIOR_CLASSES:
        print(f'  {cls:<25} {boxes[cls]}')
    if problems:
        print(f'\n{len(problems)} problems:')
        for p in problems[:100]:
            print(f'  {p}')
        if len(problems) > 100:
            print(f'  ... and {len(problems) - 100} more')
        return 1
    print('OK')
    return 0


if __name__ == '__main__':
    sys.exit(main())
