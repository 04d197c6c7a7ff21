# Linear-probe schedule: mmpretrain's MoCo v2 linear protocol (SGD lr 30,
# no weight decay, steps at 60/80 of 100 epochs, total batch 256).
# mmpretrain's runtime, with this schedule's hooks and seed on top.
_base_ = 'mmpretrain::_base_/default_runtime.py'

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=30., momentum=0.9, weight_decay=0.))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[60, 80], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=10)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=256)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=1))
randomness = dict(seed=0, deterministic=False)
