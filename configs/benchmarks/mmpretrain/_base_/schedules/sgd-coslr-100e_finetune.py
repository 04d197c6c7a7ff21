# Fine-tuning schedule (ours: the paper states the protocol, not the
# optimiser): SGD, batch 64, 5-epoch linear warm-up, cosine to 0, 100 epochs.
# mmpretrain's runtime, with this schedule's hooks and seed on top.
_base_ = 'mmpretrain::_base_/default_runtime.py'

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=95, by_epoch=True, begin=5,
         end=100, eta_min=0.),
]
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=10)
val_cfg = dict()
test_cfg = dict()
# lr above is for a total batch of 64; --auto-scale-lr rescales it.
auto_scale_lr = dict(base_batch_size=64)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=1))
# Paper reports mean +- std over runs: repeat with randomness.seed=1,2,...
randomness = dict(seed=0, deterministic=False)
