from .dual_stream import DualStreamDataset, dual_stream_collate
from .rs_image_folder import RSImageFolder
from .samplers import DualStreamSampler
from .transforms import LoadMultiBandImage

__all__ = [
    'RSImageFolder', 'DualStreamDataset', 'DualStreamSampler',
    'dual_stream_collate', 'LoadMultiBandImage'
]
