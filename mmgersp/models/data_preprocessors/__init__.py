from .dual_stream_preprocessor import DualStreamDataPreprocessor

__all__ = ['DualStreamDataPreprocessor']
