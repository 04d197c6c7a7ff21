# Official schedule: SGD lr 0.007, momentum 0.9, wd 5e-4; cosine with
# restarts, 5 periods of 20 epochs, min lr 0.001; no warm-up; fp32.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.007, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(type='CosineRestartLR', periods=[20] * 5, restart_weights=[1] * 5,
         eta_min=0.001, by_epoch=True, begin=0, end=100),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100)
# Linear scaling reference: 8 GPUs x (32 RS + 32 natural).
auto_scale_lr = dict(base_batch_size=512)
