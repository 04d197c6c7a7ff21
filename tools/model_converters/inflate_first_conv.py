"""Inflate the first conv of an exported RGB backbone to N bands.

    python tools/model_converters/inflate_first_conv.py IN.pth OUT.pth \
        --in-channels 13 --rgb-bands 3 2 1 [--force]

Use OUT.pth as ``load_from``-style initialisation of a multispectral GeRSP
run (``model.backbone.in_channels=13``) or of a downstream model. OUT is
written atomically and never replaces IN.
"""
import argparse
import os.path as osp

from mmgersp.utils.checkpoint import exit_on_error


@exit_on_error
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    parser.add_argument('src', help='exported backbone (backbone.* keys)')
    parser.add_argument('dst', help='output file')
    parser.add_argument('--in-channels', type=int, required=True)
    parser.add_argument('--rgb-bands', type=int, nargs=3,
                        help='band indices that receive the R, G, B filters')
    parser.add_argument('--force', action='store_true',
                        help='replace DST if it exists (never SRC itself)')
    args = parser.parse_args()

    from mmgersp.utils import inflate_first_conv
    from mmgersp.apis.export import write_backbone
    from mmgersp.utils.checkpoint import (check_output_path, read_checkpoint,
                                          state_dict_of)
    check_output_path(args.dst, args.src, args.force)
    ckpt = read_checkpoint(args.src)
    state = inflate_first_conv(state_dict_of(ckpt), args.in_channels,
                               args.rgb_bands)
    meta = dict(ckpt.get('meta', {}), in_channels=args.in_channels,
                rgb_bands=list(args.rgb_bands or []),
                inflated_from=osp.abspath(args.src))
    print(write_backbone(state, meta, args.dst, args.src, args.force))


if __name__ == '__main__':
    main()
