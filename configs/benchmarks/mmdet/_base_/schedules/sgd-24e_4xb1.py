# The paper's DIOR detection schedule: 24 epochs, lr steps at 16 and 22,
# SGD lr 0.001 for a total batch of 4 (4 GPUs x 1 image), mmdet's 500-iter
# linear warm-up. mmdet's runtime underneath.
_base_ = 'mmdet::_base_/default_runtime.py'

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=24, val_interval=4)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=24,
        by_epoch=True,
        milestones=[16, 22],
        gamma=0.1)
]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=0.0001))
auto_scale_lr = dict(enable=False, base_batch_size=4)

default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=4,
                                     max_keep_ckpts=2))
