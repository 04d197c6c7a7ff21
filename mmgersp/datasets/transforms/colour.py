"""Colour augmentation drawn in the loader, applied on the device."""
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS

from mmgersp.models.data_preprocessors.batch_augment import \
    draw_colour_params


@TRANSFORMS.register_module()
class DeviceColorAugment(BaseTransform):
    """``RandomGrayscale`` + ``ColorJitter`` + ``RandomHorizontalFlip`` of
    each view, with the pixel work moved to the device.

    Here, in the worker, only the parameters are drawn (one row per view,
    from NumPy's generator, which ``DualStreamDataset`` seeds per draw: a
    resumed run draws the same ones); ``DualStreamDataPreprocessor`` applies
    them to the whole batch after the transfer. They travel as the metainfo
    key ``colour_params``, so ``PackInputs`` must list it in ``meta_keys``.
    Arguments as torchvision's transforms; defaults are GeRSP's.
    """

    def __init__(self,
                 brightness: float = 0.4,
                 contrast: float = 0.4,
                 saturation: float = 0.4,
                 hue: float = 0.4,
                 grayscale_prob: float = 0.2,
                 flip_prob: float = 0.5) -> None:
        self.kwargs = dict(brightness=brightness, contrast=contrast,
                           saturation=saturation, hue=hue,
                           grayscale_prob=grayscale_prob, flip_prob=flip_prob)
        draw_colour_params(0, **self.kwargs)  # check the ranges now

    def transform(self, results: dict) -> dict:
        img = results['img']
        views = len(img) if isinstance(img, (list, tuple)) else 1
        results['colour_params'] = draw_colour_params(views, **self.kwargs)
        return results

    def __repr__(self) -> str:
        args = ', '.join(f'{k}={v}' for k, v in self.kwargs.items())
        return f'{self.__class__.__name__}({args})'
