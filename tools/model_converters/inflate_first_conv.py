"""Inflate the first conv of an exported RGB backbone to N bands.

    python tools/model_converters/inflate_first_conv.py IN.pth OUT.pth \
        --in-channels 13 --rgb-bands 3 2 1 [--force]

Use OUT.pth as ``load_from``-style initialisation of a multispectral GeRSP
run (``model.backbone.in_channels=13``) or of a downstream model. OUT is
written atomically and never replaces IN.
"""
import argparse
import os.path as osp
from typing import Dict, Optional, Sequence

import torch

from mmgersp.utils.cli import exit_on_error


def inflate_first_conv(state_dict: Dict[str, torch.Tensor],
                       in_channels: int,
                       rgb_bands: Optional[Sequence[int]] = None,
                       key: str = 'backbone.conv1.weight'
                       ) -> Dict[str, torch.Tensor]:
    """Widen the RGB first convolution to ``in_channels`` bands.

    The bands listed in ``rgb_bands`` (e.g. ``(3, 2, 1)``: Sentinel-2 B4,
    B3, B2) receive the R, G, B filters; every other band receives their
    mean. All filters are then scaled by ``3 / in_channels`` so that the
    response to a normalised input keeps its magnitude (as timm's
    ``adapt_input_conv``). Without ``rgb_bands`` every band gets the mean.
    The weights are expected in RGB order, as GeRSP trains them
    (``to_rgb=True``). Returns a new state dict; other tensors are shared.
    """
    if key not in state_dict:
        raise KeyError(f'{key!r} not in the checkpoint (keys start with '
                       f'{sorted({k.split(".")[0] for k in state_dict})})')
    weight = state_dict[key]
    if weight.ndim != 4 or weight.shape[1] != 3:
        raise ValueError(f'{key} has shape {tuple(weight.shape)}; expected '
                         '(out, 3, k, k) RGB filters')
    if rgb_bands is not None and (len(rgb_bands) != 3 or not all(
            0 <= b < in_channels for b in rgb_bands)):
        raise ValueError(f'--rgb-bands (rgb_bands) must be 3 indices < '
                         f'--in-channels {in_channels}, got {rgb_bands}')
    mean = weight.mean(dim=1, keepdim=True)
    new = mean.repeat(1, in_channels, 1, 1)
    if rgb_bands is not None:
        new[:, list(rgb_bands)] = weight
    out = dict(state_dict)
    out[key] = new * (3.0 / in_channels)
    return out


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

    from mmgersp.apis.export import write_backbone
    from mmgersp.utils.checkpoint import read_checkpoint, state_dict_of
    from mmgersp.utils.cli import check_output_path
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
