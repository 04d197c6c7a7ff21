from .checkpoint_hook import AtomicCheckpointHook
from .ema_hook import GeRSPEMAHook
from .exact_resume_hook import ExactResumeHook
from .interval_runtime_info_hook import IntervalRuntimeInfoHook
from .non_finite_loss_hook import NonFiniteLossHook

# FeatureEvalHook (mmgersp.engine.hooks.feature_eval_hook) is not imported
# here: it loads the evaluation library; configs that use it list the module
# in custom_imports. Nor is BackboneInitHook (backbone_init_hook): only runs
# started from other weights need it; `tools/train.py --init-from` imports it.

__all__ = [
    'AtomicCheckpointHook', 'GeRSPEMAHook', 'ExactResumeHook',
    'IntervalRuntimeInfoHook', 'NonFiniteLossHook'
]
