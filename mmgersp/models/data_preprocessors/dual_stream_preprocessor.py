"""Normalises the two streams of a GeRSP batch separately."""
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmpretrain.models.utils import SelfSupDataPreprocessor
from mmpretrain.registry import MODELS

from .batch_augment import apply_colour, stack_params


@MODELS.register_module()
class DualStreamDataPreprocessor(SelfSupDataPreprocessor):
    """Data preprocessor for ``{'rs': [view1, view2], 'nat': img}`` batches.

    Each stream is moved to the device, channel-flipped (``to_rgb``), cast to
    float and normalised with the same ``mean``/``std`` -- the normalisation
    recorded in the config and shipped with exported weights. Any number of
    channels works (``mean``/``std`` per band); channel flipping only applies
    to 3-channel input. A plain tensor or a list of views (feature extraction,
    tests) falls back to :class:`SelfSupDataPreprocessor`.

    Device colour stage: in training, when the samples carry
    ``colour_params`` (drawn in the loader by ``DeviceColorAugment``),
    grayscale, colour jitter and flip run here, on the whole batch on the
    device (``batch_augment.py``),
    between the RGB flip and the normalisation. Images cross as uint8 (pinned
    by the DataLoader, non-blocking), ``N x C x H x W`` or, from the fused
    loader's tensor output, ``N x H x W x 3`` (uint8 with 3 in the last
    dim and not in dim 1), which is viewed as channels_last NCHW here at no
    cost. The per-sample ``DataSample`` objects stay on the host:
    only ``nat_labels`` (one tensor) goes to the device.

    Multispectral RS input (``len(mean) == bands != 3``) is paired with RGB
    natural images by ``nat_mean``/``nat_std`` (the natural images' own
    statistics) and ``nat_bands``: the normalised R, G, B planes are placed
    at those band indices and every other band is 0, i.e. its mean -- so
    one backbone with ``in_channels=bands`` sees both streams.

    Args:
        mean, std: Per-band statistics of the RS stream (and of the natural
            stream unless ``nat_mean``/``nat_std`` are given).
        to_rgb (bool): Flip BGR-loaded 3-channel images to RGB.
        nat_mean, nat_std (Sequence[float], optional): Statistics of the
            natural images when they differ from the RS ones.
        nat_bands (Sequence[int], optional): RS band indices receiving the
            natural R, G, B planes, e.g. ``(3, 2, 1)`` for Sentinel-2
            B4/B3/B2.
        channels_last (bool): Return NHWC-strided tensors, which cuDNN runs
            faster under AMP. Defaults to False.
        Other args: see :class:`SelfSupDataPreprocessor`.
    """

    def __init__(self,
                 mean: Optional[Sequence[Union[float, int]]] = None,
                 std: Optional[Sequence[Union[float, int]]] = None,
                 to_rgb: bool = False,
                 nat_mean: Optional[Sequence[Union[float, int]]] = None,
                 nat_std: Optional[Sequence[Union[float, int]]] = None,
                 nat_bands: Optional[Sequence[int]] = None,
                 channels_last: bool = False,
                 non_blocking: Optional[bool] = True,
                 **kwargs) -> None:
        # mmengine only accepts 1 or 3 values; register per-band statistics
        # here so multispectral input (e.g. 13 Sentinel-2 bands) works too.
        super().__init__(to_rgb=to_rgb, non_blocking=non_blocking, **kwargs)
        if (mean is None) != (std is None) or (mean is not None
                                               and len(mean) != len(std)):
            raise ValueError('data_preprocessor.mean and .std must both be '
                             f'given with one value per band, got mean={mean}'
                             f', std={std}')
        self._enable_normalize = mean is not None
        if mean is not None:
            self.register_buffer('mean',
                                 torch.tensor(mean).view(-1, 1, 1), False)
            self.register_buffer('std',
                                 torch.tensor(std).view(-1, 1, 1), False)
        self.channels_last = channels_last
        nat_mean = mean if nat_mean is None else nat_mean
        nat_std = std if nat_std is None else nat_std
        if nat_mean is not None:
            self.register_buffer('nat_mean',
                                 torch.tensor(nat_mean).view(-1, 1, 1), False)
            self.register_buffer('nat_std',
                                 torch.tensor(nat_std).view(-1, 1, 1), False)
        if nat_bands is not None:
            if mean is None or len(nat_bands) != 3 or not all(
                    0 <= b < len(mean) for b in nat_bands):
                raise ValueError(
                    'nat_bands needs 3 band indices within the '
                    f'{len(mean or [])} RS bands, got {nat_bands}')
        self.nat_bands = None if nat_bands is None else list(nat_bands)

    def _rgb_float(self, x: torch.Tensor) -> torch.Tensor:
        if x.dtype == torch.uint8 and x.shape[-1] == 3 != x.shape[1]:
            x = x.permute(0, 3, 1, 2)  # N x H x W x 3: NCHW view, free
        if self._channel_conversion and x.shape[1] == 3:
            x = x.flip(1)
        return x.float()

    @staticmethod
    def _normalize(x: torch.Tensor, mean: Optional[torch.Tensor],
                   std: Optional[torch.Tensor]) -> torch.Tensor:
        return x if mean is None else (x - mean) / std

    def _layout(self, x: torch.Tensor) -> torch.Tensor:
        return x.contiguous(memory_format=torch.channels_last
                            if self.channels_last else torch.contiguous_format)

    def _natural(self, x: torch.Tensor) -> torch.Tensor:
        x = self._normalize(x, getattr(self, 'nat_mean', None),
                            getattr(self, 'nat_std', None))
        if self.nat_bands is not None:
            bands = x.new_zeros(x.shape[0], self.mean.shape[0], *x.shape[2:])
            bands[:, self.nat_bands] = x
            x = bands
        return self._layout(x)

    @staticmethod
    def _colour_params(samples: Sequence,
                       views: int) -> Optional[List[np.ndarray]]:
        """One ``(N, NUM_PARAMS)`` host array per view, or None (CPU path)."""
        has = ['colour_params' in s for s in samples]
        if not any(has):
            return None
        if not all(has):
            raise ValueError(
                'some samples of the batch carry colour_params and some do '
                'not: use DeviceColorAugment in every pipeline of '
                'train_dataloader (and list colour_params in the meta_keys '
                'of PackInputs), or in none')
        return list(stack_params(samples, views).transpose(1, 0, 2))

    def _colour(self, views: List[torch.Tensor],
                params: List[np.ndarray]) -> List[torch.Tensor]:
        """The device colour stage on every (float RGB) view: one transfer
        of the parameters, one batch when the views have one size."""
        if not self._channel_conversion:
            raise ValueError('the device colour stage needs RGB: set '
                             'model.data_preprocessor.to_rgb=True for the '
                             'BGR images the loaders produce')
        host = np.concatenate(params)
        dev = torch.from_numpy(host)
        if self.device.type == 'cuda':
            dev = dev.pin_memory()
        dev = dev.to(self.device, non_blocking=True)
        n = [len(v) for v in views]
        if len({v.shape[1:] for v in views}) == 1:
            return list(apply_colour(torch.cat(views), dev, host).split(n))
        return [apply_colour(v, d, h) for v, d, h in
                zip(views, dev.split(n), np.split(host, np.cumsum(n)[:-1]))]

    def forward(self, data: dict, training: bool = False) -> dict:
        if not isinstance(data.get('inputs'), dict):
            return super().forward(data, training)
        inputs = self.cast_data(data['inputs'])
        samples = dict(data['data_samples'])
        if samples.get('nat_labels') is not None:
            samples['nat_labels'] = self.cast_data(samples['nat_labels'])
        views = [self._rgb_float(v) for v in [*inputs['rs'], inputs['nat']]]
        if training:  # augmentation, as mmpretrain's batch_augments
            rs = self._colour_params(samples.get('rs', []), len(views) - 1)
            nat = self._colour_params(samples.get('nat', []), 1)
            if (rs is None) != (nat is None):
                raise ValueError(
                    'only one stream carries colour_params: use '
                    'DeviceColorAugment in both pipelines, or in none')
            if rs is not None:
                views = self._colour(views, rs + nat)
        mean, std = (self.mean, self.std) if self._enable_normalize else (
            None, None)
        return dict(
            inputs=dict(
                rs=[self._layout(self._normalize(v, mean, std))
                    for v in views[:-1]],
                nat=self._natural(views[-1])),
            data_samples=samples)
