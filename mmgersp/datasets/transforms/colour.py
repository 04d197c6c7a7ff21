"""GeRSP's colour augmentation: its defaults and its parameter draw.

The one owner of the augmentation's numbers: :data:`COLOUR_DEFAULTS` (the
official GeRSP values), the layout of a parameter row and
:func:`draw_colour_params`. The loader transform :class:`DeviceColorAugment`
draws here; the device stage (``mmgersp.models.data_preprocessors.
batch_augment``) imports the layout and applies the rows to the batch.
"""
from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS

# torchvision's RandomGrayscale(p=0.2) -> ColorJitter(0.4, 0.4, 0.4, 0.4)
# -> RandomHorizontalFlip(p=0.5), as the official code (the configs read
# the same values from configs/_base_/datasets/millionaid_in1k_dualstream.py,
# ``colour_args``; tests/test_datasets/test_transforms/test_colour.py checks
# that both agree).
COLOUR_DEFAULTS: Dict[str, float] = dict(
    brightness=0.4, contrast=0.4, saturation=0.4, hue=0.4,
    grayscale_prob=0.2, flip_prob=0.5)

# Columns of a parameter row (one per view).
BRIGHTNESS, CONTRAST, SATURATION, HUE = 0, 1, 2, 3
ORDER = slice(4, 8)  # op index at each of the 4 positions (torchvision fn_idx)
GRAY, FLIP = 8, 9
NUM_PARAMS = 10


def _factor_range(value: float, name: str) -> tuple:
    if value < 0:
        raise ValueError(f'colour augmentation: {name}={value} must be >= 0')
    return max(1. - value, 0.), 1. + value


def draw_colour_params(num_views: int, rng=np.random,
                       **kwargs: float) -> np.ndarray:
    """Per-view parameters, distributed as torchvision draws them.

    ``kwargs`` override :data:`COLOUR_DEFAULTS` (same names).
    ``ColorJitter.get_params``: a uniformly random order of the four ops
    (here the ranks of four uniforms), factors uniform in
    ``[max(0, 1 - x), 1 + x]``, hue shift uniform in ``[-hue, hue]``;
    grayscale and flip are Bernoulli draws. One vectorised draw of
    ``rng.random_sample``; returns a ``(num_views, NUM_PARAMS)`` float32
    array.
    """
    unknown = set(kwargs) - set(COLOUR_DEFAULTS)
    if unknown:
        raise TypeError(f'colour augmentation: unknown argument(s) '
                        f'{sorted(unknown)}; known: {list(COLOUR_DEFAULTS)}')
    args = dict(COLOUR_DEFAULTS, **kwargs)
    hue = args['hue']
    if not 0 <= hue <= 0.5:
        raise ValueError(f'colour augmentation: hue={hue} must be in [0, 0.5]')
    lo, hi = np.array([_factor_range(args['brightness'], 'brightness'),
                       _factor_range(args['contrast'], 'contrast'),
                       _factor_range(args['saturation'], 'saturation'),
                       (-hue, hue)]).T
    u = rng.random_sample((num_views, NUM_PARAMS))
    out = np.empty((num_views, NUM_PARAMS), np.float32)
    out[:, :4] = lo + (hi - lo) * u[:, :4]
    out[:, ORDER] = u[:, ORDER].argsort(axis=1)
    out[:, GRAY] = u[:, GRAY] < args['grayscale_prob']
    out[:, FLIP] = u[:, FLIP] < args['flip_prob']
    return out


@TRANSFORMS.register_module()
class DeviceColorAugment(BaseTransform):
    """``RandomGrayscale`` + ``ColorJitter`` + ``RandomHorizontalFlip`` of
    each view, with the pixel work moved to the device.

    Here, in the worker, only the parameters are drawn (one row per view,
    from NumPy's generator, which ``DualStreamDataset`` seeds per draw: a
    resumed run draws the same ones); ``DualStreamDataPreprocessor`` applies
    them to the whole batch after the transfer. They travel as the metainfo
    key ``colour_params``, so ``PackInputs`` must list it in ``meta_keys``.
    Arguments as torchvision's transforms; defaults are GeRSP's
    (:data:`COLOUR_DEFAULTS`).

    **Required Keys:**

    - img (one image, or a list of views: one parameter row each)

    **Added Keys:**

    - colour_params (``(views, NUM_PARAMS)`` float32)

    Args:
        brightness, contrast, saturation (float): Jitter strength ``x``:
            factors uniform in ``[max(0, 1 - x), 1 + x]``.
        hue (float): Hue shift uniform in ``[-hue, hue]``, in ``[0, 0.5]``.
        grayscale_prob (float): Probability of grayscale.
        flip_prob (float): Probability of a horizontal flip.
    """

    def __init__(self, **kwargs: float) -> None:
        self.kwargs = dict(COLOUR_DEFAULTS, **kwargs)
        draw_colour_params(0, **self.kwargs)  # check names and ranges now

    def transform(self, results: dict) -> dict:
        img = results['img']
        views = len(img) if isinstance(img, (list, tuple)) else 1
        results['colour_params'] = draw_colour_params(views, **self.kwargs)
        return results

    def __repr__(self) -> str:
        args = ', '.join(f'{k}={v}' for k, v in self.kwargs.items())
        return f'{self.__class__.__name__}({args})'
