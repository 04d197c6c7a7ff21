from .hooks import (ExactResumeHook, FeatureEvalHook, GeRSPEMAHook,
                    IntervalRuntimeInfoHook, NonFiniteLossHook)

__all__ = [
    'GeRSPEMAHook', 'ExactResumeHook', 'FeatureEvalHook',
    'IntervalRuntimeInfoHook', 'NonFiniteLossHook'
]
