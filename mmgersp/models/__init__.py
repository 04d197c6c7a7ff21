from .algorithms import GeRSP
from .data_preprocessors import DualStreamDataPreprocessor

__all__ = ['GeRSP', 'DualStreamDataPreprocessor']
