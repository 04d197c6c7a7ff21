"""Loading multispectral (e.g. Sentinel-2) images for the RS stream."""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadMultiBandImage(BaseTransform):
    """Read an ``H x W x C`` image with any number of bands as float32.

    GeoTIFFs (``.tif``/``.tiff``) are read with ``tifffile`` (OpenCV and
    PIL stop at 4 channels); band-first ``(C, H, W)`` files (the band axis
    shorter than both sides) are transposed.
    Values are kept as stored (e.g. Sentinel-2 L1C reflectance x 10000):
    scale them with the preprocessor's per-band ``mean``/``std``. The
    following geometric transforms (``RandomResizedCrop`` with
    ``backend='cv2'``, ``RandomFlip``) work on any band count; colour
    transforms do not apply.

    **Required Keys:**

    - img_path

    **Added Keys:**

    - img (``H x W x bands`` float32)
    - img_shape
    - ori_shape

    Args:
        num_bands (int, optional): Expected band count; a file with another
            count is an error naming the file.
    """

    def __init__(self, num_bands: Optional[int] = None) -> None:
        self.num_bands = num_bands

    def transform(self, results: dict) -> dict:
        path = results['img_path']
        if path.lower().endswith(('.tif', '.tiff')):
            import tifffile
            img = tifffile.imread(path)
        else:
            import cv2
            img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
            if img is None:
                raise OSError(f'cannot decode {path}')
        if img.ndim == 2:
            img = img[..., None]
        elif img.ndim == 3 and img.shape[0] < min(img.shape[1:]):
            img = img.transpose(1, 2, 0)  # band-first GeoTIFF (C, H, W)
        if img.ndim != 3:
            raise ValueError(f'{path}: expected H x W x bands, got shape '
                             f'{img.shape}')
        if self.num_bands is not None and img.shape[2] != self.num_bands:
            raise ValueError(f'{path}: {img.shape[2]} bands, expected '
                             f'{self.num_bands}')
        img = np.ascontiguousarray(img, dtype=np.float32)
        results.update(img=img, img_shape=img.shape[:2],
                       ori_shape=img.shape[:2])
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(num_bands={self.num_bands})'
