from .hooks import DualStreamResumeHook, GeRSPEMAHook

__all__ = ['GeRSPEMAHook', 'DualStreamResumeHook']
