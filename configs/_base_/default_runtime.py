default_scope = 'mmpretrain'
custom_imports = dict(imports=['mmgersp'], allow_failed_imports=False)

default_hooks = dict(
    # copies loss values to the host once per logging interval, not per step
    runtime_info=dict(type='IntervalRuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # mmengine's CheckpointHook, made crash-safe (atomic save, then prune)
    checkpoint=dict(type='AtomicCheckpointHook', interval=1, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
custom_hooks = [
    # The only place the teacher changes: copy at iter 0, EMA after each step.
    dict(type='GeRSPEMAHook', momentum=0.996),
    # Resume continues exactly: data position and random state.
    dict(type='ExactResumeHook'),
    # Stop at a NaN/inf loss before a checkpoint of it is written.
    dict(type='NonFiniteLossHook'),
]

env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
# each logged value is the mean over the last logging interval
log_processor = dict(window_size=1)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, diff_rank_seed=False)
