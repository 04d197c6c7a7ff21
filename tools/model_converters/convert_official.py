"""Convert an official GeRSP / MoCo checkpoint to mmgersp's backbone format.

    python tools/model_converters/convert_official.py SRC DST.pth [--prefix P]

The official GeRSP release (floatingstarZ/GeRSP, mmselfsup 0.x) and MoCo's
own code store a torchvision-style ResNet-50 under ``backbone.``,
``encoder_q.0.`` or ``encoder_q.`` (possibly behind ``module.`` from
DataParallel), next to the key encoder, projector, queue and classifier.
DST holds only the query backbone, in the format
``tools/model_converters/export_backbone.py`` writes:
``{'state_dict': {'backbone.<name>': tensor}, 'meta': {...}}``, so every
config under ``configs/benchmarks`` loads it with
``init_cfg=dict(type='Pretrained', checkpoint=DST, prefix='backbone.')``.

torchvision's ResNet-50 and the ResNet of mmpretrain/mmdet/mmseg
(``style='pytorch'``, stride in the 3x3 conv, as torchvision) use the same
layer names (``conv1``, ``bn1``, ``layerN.i.convK``, ``downsample.0/1``); the
rename table below therefore only drops the classifier (``fc``) and the
wrapper prefix, and the result is checked against an mmpretrain ResNet-50
(every key, every shape) before it is written.
"""
import argparse
import os.path as osp
import re
import sys
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import torch

# Tried in this order; the first one that yields a complete ResNet-50 wins.
SOURCE_PREFIXES = ('backbone.', 'encoder_q.0.', 'encoder_q.', 'encoder.',
                   'student.backbone.', '')
# torchvision name -> mmpretrain/mmdet name (regex, replacement); the layouts
# agree, so only the classifier is dropped (None).
TORCHVISION_TO_MM: List[Tuple[str, Optional[str]]] = [
    (r'^fc\..*', None),
    (r'^(conv1|bn1)\.(.*)$', r'\1.\2'),
    (r'^layer([1-4])\.(\d+)\.(conv[1-3]|bn[1-3])\.(.*)$', r'layer\1.\2.\3.\4'),
    (r'^layer([1-4])\.(\d+)\.downsample\.([01])\.(.*)$',
     r'layer\1.\2.downsample.\3.\4'),
]


def torchvision_to_mm(name: str) -> Optional[str]:
    """The mmpretrain ResNet name of a torchvision ResNet key (None: drop)."""
    for pattern, repl in TORCHVISION_TO_MM:
        if re.match(pattern, name):
            return None if repl is None else re.sub(pattern, repl, name)
    raise KeyError(f'{name!r} is not a torchvision ResNet key')


def reference_resnet50() -> Dict[str, torch.Size]:
    """Key -> shape of mmpretrain's ResNet-50 (as downstream configs)."""
    from mmpretrain.models import ResNet
    return {k: v.shape for k, v in ResNet(depth=50).state_dict().items()}


def select_backbone(state: Dict[str, torch.Tensor],
                    prefix: Optional[str] = None
                    ) -> Tuple[str, 'OrderedDict[str, torch.Tensor]']:
    """Find the query ResNet-50 in ``state`` and rename it; validate it."""
    reference = reference_resnet50()
    state = OrderedDict(
        (k[len('module.'):] if k.startswith('module.') else k, v)
        for k, v in state.items() if isinstance(v, torch.Tensor))
    candidates = [prefix] if prefix is not None else SOURCE_PREFIXES
    reports = []
    for p in candidates:
        out = OrderedDict()
        for k, v in state.items():
            if not k.startswith(p):
                continue
            try:
                name = torchvision_to_mm(k[len(p):])
            except KeyError:
                continue  # e.g. a projector next to the backbone
            if name is not None:
                out[name] = v
        # older torchvision checkpoints carry no BN batch counters
        for k in reference:
            if k.endswith('num_batches_tracked') and k not in out and \
                    k.replace('num_batches_tracked', 'running_mean') in out:
                out[k] = torch.tensor(0, dtype=torch.long)
        missing = [k for k in reference if k not in out]
        wrong = [k for k in reference
                 if k in out and out[k].shape != reference[k]]
        if not missing and not wrong:
            return p, OrderedDict((k, out[k]) for k in reference)
        found = len(reference) - len(missing)
        reports.append(f'{p or "(no prefix)"!r}: {found}/{len(reference)} '
                       f'keys, {len(wrong)} wrong shapes')
    heads = sorted({k.split('.')[0] for k in state})
    raise KeyError(
        'no complete torchvision-style ResNet-50 found; tried ' +
        '; '.join(reports) + f'. Top-level keys: {heads}. Use --prefix.')


def convert(src: str, dst: str, prefix: Optional[str] = None,
            force: bool = False) -> str:
    """Write the backbone of ``src`` to ``dst``; return the prefix used.

    ``dst`` is written atomically; it may not be ``src``, nor (without
    ``force``) an existing file.
    """
    from mmgersp.apis.export import write_backbone
    from mmgersp.utils.checkpoint import read_checkpoint, state_dict_of
    from mmgersp.utils.cli import check_output_path
    check_output_path(dst, src, force)
    used, backbone = select_backbone(state_dict_of(read_checkpoint(src)),
                                     prefix)
    write_backbone(
        OrderedDict(('backbone.' + k, v.detach().cpu().clone())
                    for k, v in backbone.items()),
        dict(source=src,
             source_prefix=used,
             arch='ResNet-50, torchvision layout (mmpretrain/mmdet '
             'ResNet, style=pytorch)'), dst, src, force)
    return used


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description='Convert an official GeRSP/MoCo ResNet-50 checkpoint')
    parser.add_argument('src', help='official checkpoint (.pth / .pth.tar)')
    parser.add_argument('dst', help='output backbone checkpoint (.pth)')
    parser.add_argument('--prefix', default=None,
                        help='key prefix of the query backbone in SRC after '
                        'any "module." (default: try ' +
                        ', '.join(repr(p) for p in SOURCE_PREFIXES) + ')')
    parser.add_argument('--force', action='store_true',
                        help='replace DST if it exists (never SRC itself)')
    args = parser.parse_args(argv)
    from mmgersp.utils.cli import exit_on_error
    used = exit_on_error(convert)(args.src, args.dst, args.prefix, args.force)
    print(f'converted the ResNet-50 under {used!r} of {args.src} to')
    print(osp.abspath(args.dst))
    return 0


if __name__ == '__main__':
    sys.exit(main())
