from .dual_stream_resume_hook import DualStreamResumeHook
from .ema_hook import GeRSPEMAHook

__all__ = ['GeRSPEMAHook', 'DualStreamResumeHook']
