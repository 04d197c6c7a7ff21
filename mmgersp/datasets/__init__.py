from .dual_stream import dual_stream_collate
from .rs_image_folder import RSImageFolder
from .samplers import DualStreamSampler

__all__ = ['RSImageFolder', 'DualStreamSampler', 'dual_stream_collate']
