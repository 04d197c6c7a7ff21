"""Normalises the two streams of a GeRSP batch separately."""
from typing import Optional, Sequence, Union

import torch
from mmpretrain.models.utils import SelfSupDataPreprocessor
from mmpretrain.registry import MODELS


@MODELS.register_module()
class DualStreamDataPreprocessor(SelfSupDataPreprocessor):
    """Data preprocessor for ``{'rs': [view1, view2], 'nat': img}`` batches.

    Each stream is moved to the device, channel-flipped (``to_rgb``), cast to
    float and normalised with the same ``mean``/``std`` -- the normalisation
    recorded in the config and shipped with exported weights. Any number of
    channels works (``mean``/``std`` per band); channel flipping only applies
    to 3-channel input. A plain tensor or a list of views (feature extraction,
    tests) falls back to :class:`SelfSupDataPreprocessor`.

    Args:
        channels_last (bool): Return NHWC-strided tensors, which cuDNN runs
            faster under AMP. Defaults to False.
        Other args: see :class:`SelfSupDataPreprocessor`.
    """

    def __init__(self,
                 mean: Optional[Sequence[Union[float, int]]] = None,
                 std: Optional[Sequence[Union[float, int]]] = None,
                 to_rgb: bool = False,
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

    def _normalize(self, x: torch.Tensor) -> torch.Tensor:
        if self._channel_conversion and x.shape[1] == 3:
            x = x.flip(1)
        x = x.float()
        if self._enable_normalize:
            x = (x - self.mean) / self.std
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def forward(self, data: dict, training: bool = False) -> dict:
        if not isinstance(data.get('inputs'), dict):
            return super().forward(data, training)
        data = self.cast_data(data)
        inputs = data['inputs']
        return dict(
            inputs=dict(
                rs=[self._normalize(v) for v in inputs['rs']],
                nat=self._normalize(inputs['nat'])),
            data_samples=data['data_samples'])
