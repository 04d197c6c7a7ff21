from .ema_hook import GeRSPEMAHook
from .exact_resume_hook import ExactResumeHook
from .feature_eval_hook import FeatureEvalHook
from .interval_runtime_info_hook import IntervalRuntimeInfoHook
from .non_finite_loss_hook import NonFiniteLossHook

__all__ = [
    'GeRSPEMAHook', 'ExactResumeHook', 'FeatureEvalHook',
    'IntervalRuntimeInfoHook', 'NonFiniteLossHook'
]
