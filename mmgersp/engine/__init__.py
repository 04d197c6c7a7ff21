from .hooks import ExactResumeHook, GeRSPEMAHook, NonFiniteLossHook

__all__ = ['GeRSPEMAHook', 'ExactResumeHook', 'NonFiniteLossHook']
