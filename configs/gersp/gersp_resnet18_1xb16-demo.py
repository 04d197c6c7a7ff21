# A GeRSP run that finishes in minutes on a 2-core CPU: ResNet-18, 64 px,
# 1 process x (16 RS + 16 natural), short iteration-based schedule.
# tools/demo.py fills in the data roots (and the number of natural classes);
# by hand:
#   python tools/train.py configs/gersp/gersp_resnet18_1xb16-demo.py \
#       --rs-root ../shared/data/aid --natural-root ../shared/data/cifar10/train
_base_ = [
    '../_base_/models/gersp_resnet50.py',
    '../_base_/datasets/millionaid_in1k_dualstream_cpu-colour.py',
    '../_base_/default_runtime.py',
]

img_size = 64
n_rs = 16
n_nat = 16
rs_root = 'data/demo/rs'
natural_root = 'data/demo/natural'

# A queue no longer than the data (the 128 generated tiles: 64 keys, filled
# with real keys after 4 steps) and a small lr: under these the contrastive
# loss says something true in 100 steps (docs/pretraining_comparison.md).
model = dict(
    queue_len=64,
    backbone=dict(depth=18),
    neck=dict(in_channels=512, hid_channels=512),
    cls_head=dict(in_channels=512, num_classes=10))

# Decode and crop fused (LoadImageRandomResizedCrop: reduced-size decode,
# >8-bit images scaled by their value range); colour on the CPU, in the
# loader: the base's view_colour (millionaid_in1k_dualstream_cpu-colour.py).
crop = dict(_base_.crop, scale=img_size)
view_colour = _base_.view_colour
train_dataloader = dict(
    batch_size=n_rs + n_nat,
    num_workers=2,
    # pinned memory serves only a copy to a GPU (on a CPU, torch warns)
    pin_memory=False,
    # an iteration-based run: the sampler goes on from epoch to epoch,
    # instead of the loop restarting the loader at each epoch end
    sampler=dict(n_rs=n_rs, n_nat=n_nat, infinite=True),
    dataset=dict(num_classes=10, datasets=[
        dict(type='RSImageFolder', data_root=rs_root, pipeline=[
            dict(crop, num_views=2),
            dict(type='TransformBroadcaster', mapping={'img': 'img'},
                 auto_remap=True, transforms=view_colour),
            dict(type='PackInputs', meta_keys=['img_path']),
        ]),
        dict(type='CustomDataset', data_root=natural_root, pipeline=[
            crop,
            *view_colour,
            dict(type='PackInputs'),
        ]),
    ]))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.003, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(type='CosineAnnealingLR', eta_min=0.001, by_epoch=False, begin=0,
         end=100),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=100)
default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(type='AtomicCheckpointHook', interval=20, by_epoch=False,
                    max_keep_ckpts=2))
log_processor = dict(window_size=1, by_epoch=False)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
