"""The GeRSP colour augmentation as one batched stage on the device.

torchvision's ``RandomGrayscale(p)``, ``ColorJitter(b, c, s, h)`` and
``RandomHorizontalFlip(p)`` draw their parameters per image; here they are
drawn per view in the data-loading worker (``draw_colour_params`` of
``mmgersp.datasets.transforms.colour``, seeded by the sampler's (seed,
epoch, position) like the crop) and applied to the whole
batch after the transfer (``apply_colour``), without host-device syncs: the
per-image op order is known on the host, the other choices are
``torch.where``. kornia's ``ColorJiggle`` and
torchvision.transforms.v2 on a batch draw one op order (v2: one set of
factors) per batch, not per image, hence this module.
"""
from typing import Optional, Sequence

import numpy as np
import torch

# The parameter draw and the layout of a row have one owner, the loader
# side; draw_colour_params is re-exported for the callers of this module.
from mmgersp.datasets.transforms.colour import (FLIP, GRAY, NUM_PARAMS,
                                                ORDER, draw_colour_params)

__all__ = ['apply_colour', 'stack_params', 'draw_colour_params']

# ITU-R 601-2 luma, as torchvision's rgb_to_grayscale and PIL's convert('L').
LUMA = (0.2989, 0.587, 0.114)


def _col(p: torch.Tensor, i: int) -> torch.Tensor:
    return p[:, i].view(-1, 1, 1, 1)


def _gray(x: torch.Tensor) -> torch.Tensor:
    r, g, b = x.unbind(1)
    return (LUMA[0] * r + LUMA[1] * g + LUMA[2] * b).unsqueeze(1)


def _blend(x: torch.Tensor, other: torch.Tensor, f: torch.Tensor,
           top: float) -> torch.Tensor:
    return (f * x + (1 - f) * other).clamp_(0, top)


def _hue(x: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Rotate the HSV hue of RGB ``x`` by ``shift`` (fraction of a turn).

    HSV conversion as torchvision's tensor ``adjust_hue``; HSV -> RGB in its
    closed form ``v - v s clamp(min(k, 4 - k), 0, 1)``, ``k = (n + 6h) mod 6``.
    """
    r, g, b = x.unbind(1)
    maxc, minc = x.amax(1), x.amin(1)
    eqc = maxc == minc
    cr = maxc - minc
    s = cr / torch.where(eqc, torch.ones_like(maxc), maxc)
    div = torch.where(eqc, torch.ones_like(cr), cr)
    rc, gc, bc = (maxc - r) / div, (maxc - g) / div, (maxc - b) / div
    is_r = maxc == r
    is_g = (maxc == g) & ~is_r
    h = torch.where(is_r, bc - gc, torch.where(is_g, 2. + rc - bc,
                                               4. + gc - rc))
    h6 = torch.remainder(h + 6. * shift.view(-1, 1, 1), 6.)
    vs = maxc * s
    out = [maxc - vs * torch.clamp(torch.minimum(k, 4. - k), 0., 1.)
           for k in (torch.remainder(n + h6, 6.) for n in (5., 3., 1.))]
    return torch.stack(out, 1)


def _brightness(x: torch.Tensor, f: torch.Tensor,
                top: float) -> torch.Tensor:
    return (x * f).clamp_(0, top)


def _contrast(x: torch.Tensor, f: torch.Tensor, top: float) -> torch.Tensor:
    return _blend(x, _gray(x).mean(dim=(1, 2, 3), keepdim=True), f, top)


def _saturation(x: torch.Tensor, f: torch.Tensor,
                top: float) -> torch.Tensor:
    return _blend(x, _gray(x), f, top)


def _hue_op(x: torch.Tensor, f: torch.Tensor, top: float) -> torch.Tensor:
    return _hue(x, f.flatten())


OPS = (_brightness, _contrast, _saturation, _hue_op)  # torchvision fn_idx


def apply_colour(x: torch.Tensor, params: torch.Tensor,
                 host_params: Optional[np.ndarray] = None,
                 top: float = 255.) -> torch.Tensor:
    """Grayscale, colour jitter and flip of RGB batch ``x`` (N, 3, H, W).

    ``x`` is float in ``[0, top]``; ``params`` is ``(N, NUM_PARAMS)`` on its
    device, ``host_params`` the same values on the host (taken from
    ``params`` when that is on the CPU). The ops run in the pipeline's
    order: grayscale, the four jitter ops in each image's own order, flip.
    The order is read on the host, where the loader drew it, so at each of
    the four positions each op runs once, on the images that have it there
    (gathered by an index made on the host): every image goes through four
    ops, and nothing waits for the device.
    """
    if x.dim() != 4 or x.shape[1] != 3:
        raise ValueError('the device colour stage takes RGB batches (N, 3, '
                         f'H, W), got {tuple(x.shape)}')
    if params.shape != (x.shape[0], NUM_PARAMS):
        raise ValueError(f'colour params of shape {tuple(params.shape)} for '
                         f'a batch of {x.shape[0]}: expected '
                         f'({x.shape[0]}, {NUM_PARAMS})')
    if host_params is None:
        if params.device.type != 'cpu':
            raise ValueError('apply_colour needs host_params (the op order '
                             'is read on the host) for device params')
        host_params = params.numpy()
    order = np.asarray(host_params)[:, ORDER].astype(np.int64)
    groups = [np.flatnonzero(order[:, pos] == op)
              for pos in range(4) for op in range(4)]
    index = torch.from_numpy(np.concatenate(groups))
    if x.device.type == 'cuda':
        index = index.pin_memory()
    index = index.to(x.device, non_blocking=True)
    params = params.to(x.dtype)
    x = torch.where(_col(params, GRAY) > 0.5, _gray(x).expand_as(x), x)
    start = 0
    for i, group in enumerate(groups):
        if not len(group):
            continue
        op, sel = i % 4, index[start:start + len(group)]
        start += len(group)
        f = params.index_select(0, sel)[:, op].view(-1, 1, 1, 1)
        x.index_copy_(0, sel, OPS[op](x.index_select(0, sel), f, top))
    return torch.where(_col(params, FLIP) > 0.5, x.flip(-1), x)


def stack_params(samples: Sequence, num_views: int) -> np.ndarray:
    """``(N, num_views, NUM_PARAMS)`` from the samples' ``colour_params``."""
    rows = [s.colour_params for s in samples]
    out = np.stack(rows).astype(np.float32, copy=False)
    if out.shape[1:] != (num_views, NUM_PARAMS):
        raise ValueError(
            f'colour_params of shape {out.shape[1:]} for {num_views} '
            f'view(s): expected ({num_views}, {NUM_PARAMS})')
    return out
