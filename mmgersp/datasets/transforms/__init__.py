from .multiband import LoadMultiBandImage

__all__ = ['LoadMultiBandImage']
