"""Hooks of a GeRSP run (registered in mmpretrain's HOOKS)."""
from .hooks import (AtomicCheckpointHook, ExactResumeHook, GeRSPEMAHook,
                    IntervalRuntimeInfoHook, NonFiniteLossHook)

__all__ = [
    'AtomicCheckpointHook', 'GeRSPEMAHook', 'ExactResumeHook',
    'IntervalRuntimeInfoHook', 'NonFiniteLossHook'
]
