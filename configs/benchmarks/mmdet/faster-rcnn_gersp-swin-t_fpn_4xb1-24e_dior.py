# Faster R-CNN Swin-T-FPN on DIOR: the protocol of
# faster-rcnn_gersp-r50_fpn_4xb1-24e_dior.py (800x800, 24 epochs with steps
# 16/22, total batch 4, NMS IoU 0.3, mAP@0.5; the backbone fully trainable)
# with the GeRSP Swin-T backbone
# (configs/gersp/gersp_swin-tiny_8xb32-coslr-100e_millionaid-in1k.py) and
# mmdet's Swin-T fine-tuning settings (mmdet configs/swin/
# mask-rcnn_swin-t-p4-w7_fpn_1x_coco.py: AdamW, drop path 0.2, FPN widths).
_base_ = [
    './faster-rcnn_gersp-r50_fpn_4xb1-24e_dior.py',
    '../_base_/backbones/gersp_swin-t_convnext-t.py'
]

# The exported GeRSP backbone (tools/model_converters/export_backbone.py).
checkpoint = 'work_dirs/gersp_swin-t.pth'

# mmpretrain's modules (the backbone's layout) besides the DIOR dataset
custom_imports = dict(
    imports=['mmgersp.datasets.dior', 'mmpretrain.models'],
    allow_failed_imports=False)
model = dict(
    backbone=dict(
        _base_.gersp_swin_t,
        _delete_=True,
        drop_path_rate=0.2,
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    neck=dict(in_channels=[96, 192, 384, 768]))
# mmdet's Swin-T optimiser: AdamW lr 1e-4 for a total batch of 16, weight
# decay 0.05, none on norms and position tables; lr scaled to the batch of 4
# linearly: 2.5e-5. The schedule (warm-up, steps 16/22) is the r50 config's.
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=2.5e-5, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(custom_keys=_base_.swin_no_decay))
