# GeRSP with a ResNet-50 student (Huang et al., TGRS 2024; the defaults
# that differ from the official code: README.md, "Where the paper and the
# official code differ").
model = dict(
    type='GeRSP',
    queue_len=65536,
    feat_dim=128,
    alpha=1.0,  # loss = loss_contrast + alpha * loss_cls
    joint_forward=True,  # one student forward over [RS query; natural]
    teacher_projector='ema',  # paper; 'frozen' = official code
    data_preprocessor=dict(
        type='DualStreamDataPreprocessor',
        # ImageNet statistics, RGB order: shipped with exported weights and
        # used by every downstream config.
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(
        type='ResNet', depth=50, in_channels=3, out_indices=(3, ),
        norm_cfg=dict(type='BN')),
    # 2048 -> 2048 -> ReLU -> 128, no BN: the official projector.
    neck=dict(
        type='MoCoV2Neck',
        in_channels=2048,
        hid_channels=2048,
        out_channels=128,
        with_avg_pool=False),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.07),
    # GeRSP.loss uses this head's fc and loss_module only (its accuracy is
    # computed on the device, without the head's topk/cal_acc code)
    cls_head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss')))
