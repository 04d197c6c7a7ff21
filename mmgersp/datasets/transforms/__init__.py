from .colour import DeviceColorAugment
from .loading import LoadImageRandomResizedCrop
from .multiband import LoadMultiBandImage

__all__ = [
    'LoadMultiBandImage', 'LoadImageRandomResizedCrop', 'DeviceColorAugment'
]
