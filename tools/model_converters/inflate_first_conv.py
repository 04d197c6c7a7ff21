"""Inflate the first conv of an exported RGB backbone to N bands.

    python tools/model_converters/inflate_first_conv.py IN.pth OUT.pth \
        --in-channels 13 --rgb-bands 3 2 1

Use OUT.pth as ``load_from``-style initialisation of a multispectral GeRSP
run (``model.backbone.in_channels=13``) or of a downstream model.
"""
import argparse
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    parser.add_argument('src', help='exported backbone (backbone.* keys)')
    parser.add_argument('dst', help='output file')
    parser.add_argument('--in-channels', type=int, required=True)
    parser.add_argument('--rgb-bands', type=int, nargs=3,
                        help='band indices that receive the R, G, B filters')
    args = parser.parse_args()

    from mmgersp.utils import inflate_first_conv, load_checkpoint_safely
    ckpt = load_checkpoint_safely(args.src)
    state = ckpt.get('state_dict', ckpt)
    state = inflate_first_conv(state, args.in_channels, args.rgb_bands)
    meta = dict(ckpt.get('meta', {}), in_channels=args.in_channels,
                rgb_bands=list(args.rgb_bands or []),
                inflated_from=osp.abspath(args.src))
    torch.save(dict(state_dict=state, meta=meta), args.dst)
    print(osp.abspath(args.dst))


if __name__ == '__main__':
    main()
