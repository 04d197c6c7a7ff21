# UperNet Swin-T on LoveDA: the protocol of
# upernet_gersp-r50_4xb4-80k_loveda-512x512.py (512x512 crops, 4 GPUs x 4,
# 80k iterations, mIoU on val; the backbone fully trainable) with the GeRSP
# Swin-T backbone
# (configs/gersp/gersp_swin-tiny_8xb32-coslr-100e_millionaid-in1k.py) and
# mmseg's Swin-T UperNet settings (mmseg configs/swin/
# swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_ade20k-512x512.py: the
# same total batch of 16, AdamW, drop path 0.3, head widths, warm-up + poly).
_base_ = [
    './upernet_gersp-r50_4xb4-80k_loveda-512x512.py',
    '../_base_/backbones/gersp_swin-t_convnext-t.py'
]

# The exported GeRSP backbone (tools/model_converters/export_backbone.py).
checkpoint = 'work_dirs/gersp_swin-t.pth'

# mmpretrain's modules: the backbone's layout
custom_imports = dict(
    imports=['mmpretrain.models'], allow_failed_imports=False)
model = dict(
    backbone=dict(
        _base_.gersp_swin_t,
        _delete_=True,
        drop_path_rate=0.3,
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    decode_head=dict(in_channels=[96, 192, 384, 768]),
    auxiliary_head=dict(in_channels=384))
# mmseg's Swin-T optimiser: AdamW lr 6e-5, weight decay 0.01, none on norms
# and position tables; 1500 warm-up iterations, then poly (power 1) to 0 at
# the end of the r50 config's 80k iterations.
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=0.00006, betas=(0.9, 0.999), weight_decay=0.01),
    paramwise_cfg=dict(custom_keys=_base_.swin_no_decay))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0,
        end=1500),
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=1.0,
        begin=1500,
        end=80000,
        by_epoch=False)
]
