"""Command line shared by the pictures that compare checkpoints side by side
(``vis_cam.py``, ``vis_tsne.py``): the same flags, the same loading."""
import argparse
import os.path as osp
from typing import Iterator, List, Optional, Sequence, Tuple

import torch.nn as nn

from .backbone import checkpoint_label, load_backbone, normalization_from_meta
from .feature_eval import FeatureEvalData


def checkpoints_parser(description: str, per: str,
                       out: str) -> argparse.ArgumentParser:
    """``CKPT [CKPT|random ...] --data DIR [--labels ...] --out PNG`` and the
    loading flags; ``per`` names what one checkpoint gets (column, panel)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('checkpoints',
                        nargs='+',
                        help=f"checkpoint files or 'random', one {per} each")
    parser.add_argument('--data',
                        required=True,
                        help='class-folder tree <DIR>/<class>/<image>')
    parser.add_argument('--labels', nargs='+', help=f'{per} titles')
    parser.add_argument('--out', default=out)
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--depth',
                        type=int,
                        default=50,
                        help="ResNet depth for 'random'")
    add_arch_argument(parser)
    parser.add_argument('--device', default='cpu')
    return parser


def add_arch_argument(parser: argparse.ArgumentParser) -> None:
    """``--arch``: the backbone of ``random`` when it is not a ResNet (a
    checkpoint's architecture always comes from the file)."""
    from mmgersp.apis.recipe import ARCHS
    parser.add_argument('--arch',
                        choices=sorted(ARCHS),
                        help="backbone for 'random' instead of the ResNet "
                        'of --depth')


def parse_checkpoint_args(parser: argparse.ArgumentParser,
                          argv: Optional[List[str]]) -> argparse.Namespace:
    args = parser.parse_args(argv)
    if args.labels and len(args.labels) != len(args.checkpoints):
        parser.error('--labels needs one title per checkpoint')
    return args


def load_checkpoints(
    args: argparse.Namespace,
    train_ratio: float = 0.5
) -> Iterator[Tuple[str, str, nn.Module, dict, FeatureEvalData]]:
    """Per checkpoint: path, title, backbone on ``--device``, load report and
    ``--data`` split and normalised as that checkpoint expects."""
    import torch
    from mmpretrain.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    titles = args.labels or [checkpoint_label(c) for c in args.checkpoints]
    for ckpt, title in zip(args.checkpoints, titles):
        backbone, info = load_backbone(ckpt, depth=args.depth, seed=args.seed,
                                       arch=args.arch)
        backbone.to(torch.device(args.device))
        data = FeatureEvalData(args.data, args.img_size, train_ratio,
                               args.seed, args.max_per_class,
                               **normalization_from_meta(info['meta']))
        yield ckpt, title, backbone, info, data


def save_figure(fig, out: str, rect: Sequence[float]) -> str:
    """Lay out, write (100 dpi) and close a figure; print and return ``out``.
    """
    import matplotlib.pyplot as plt
    fig.tight_layout(rect=rect)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    print(osp.abspath(out))
    return out
