from .ema_hook import GeRSPEMAHook
from .exact_resume_hook import ExactResumeHook
from .non_finite_loss_hook import NonFiniteLossHook

__all__ = ['GeRSPEMAHook', 'ExactResumeHook', 'NonFiniteLossHook']
