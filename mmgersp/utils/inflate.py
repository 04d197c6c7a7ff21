"""Start a multispectral backbone from RGB weights (first-conv inflation)."""
from typing import Dict, Optional, Sequence

import torch


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
        raise ValueError(f'rgb_bands must be 3 indices < {in_channels}, got '
                         f'{rgb_bands}')
    mean = weight.mean(dim=1, keepdim=True)
    new = mean.repeat(1, in_channels, 1, 1)
    if rgb_bands is not None:
        new[:, list(rgb_bands)] = weight
    out = dict(state_dict)
    out[key] = new * (3.0 / in_channels)
    return out
