from .dual_stream_sampler import DualStreamSampler

__all__ = ['DualStreamSampler']
