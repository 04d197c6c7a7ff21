from .shuffle_bn import batch_shuffle_ddp, batch_unshuffle_ddp

__all__ = ['batch_shuffle_ddp', 'batch_unshuffle_ddp']
