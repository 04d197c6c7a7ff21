from .hooks import (ExactResumeHook, GeRSPEMAHook, IntervalRuntimeInfoHook,
                    NonFiniteLossHook)

__all__ = [
    'GeRSPEMAHook', 'ExactResumeHook',
    'IntervalRuntimeInfoHook', 'NonFiniteLossHook'
]
