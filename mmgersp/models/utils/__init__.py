from .backbone_output import backbone_width, last_output, pool_last_output
from .shuffle_bn import batch_shuffle_ddp, batch_unshuffle_ddp

__all__ = [
    'backbone_width', 'batch_shuffle_ddp', 'batch_unshuffle_ddp',
    'last_output', 'pool_last_output'
]
