# ATSS + DyHead (6 blocks) R50-FPN on DIOR (horizontal boxes), the paper's
# protocol: 800x800, 24 epochs (steps 16/22), SGD lr 0.001, batch 4, NMS IoU
# 0.3, mAP@0.5; the GeRSP backbone fully trainable. Paper numbers: README.md.
_base_ = [
    './_base_/models/atss-dyhead_r50_fpn.py',
    './_base_/datasets/dior.py',
    './_base_/schedules/sgd-24e_4xb1.py',
]

# The exported GeRSP backbone (tools/model_converters/export_backbone.py).
checkpoint = 'work_dirs/gersp_r50.pth'

custom_imports = dict(
    imports=['mmgersp.datasets.dior'], allow_failed_imports=False)
model = dict(
    backbone=dict(
        frozen_stages=-1,  # fully trainable, as in the paper
        norm_eval=False,
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    bbox_head=dict(num_classes=20),
    test_cfg=dict(nms=dict(type='nms', iou_threshold=0.3)))
