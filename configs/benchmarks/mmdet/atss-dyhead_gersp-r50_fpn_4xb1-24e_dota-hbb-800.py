# ATSS + DyHead (6 blocks) R50-FPN on DOTA-v1.0 with horizontal boxes, the
# paper's DOTA protocol: 800 px crops (stride 640), train on train, test on
# val (on the crops), mAP@0.5; the DIOR schedule (24 epochs, steps 16/22, SGD
# lr 0.001, batch 4, NMS IoU 0.3). Paper numbers: README.md.
_base_ = [
    './_base_/models/atss-dyhead_r50_fpn.py',
    './_base_/datasets/dota_hbb_800.py',
    './_base_/schedules/sgd-24e_4xb1.py',
]

# The exported GeRSP backbone (tools/model_converters/export_backbone.py).
checkpoint = 'work_dirs/gersp_r50.pth'

# mmrotate provides DOTADataset, the 'qbox' box type and ConvertBoxType.
custom_imports = dict(
    imports=['mmrotate.datasets', 'mmrotate.structures'],
    allow_failed_imports=False)
model = dict(
    backbone=dict(
        frozen_stages=-1,  # fully trainable, as in the paper
        norm_eval=False,
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    bbox_head=dict(num_classes=15),
    test_cfg=dict(nms=dict(type='nms', iou_threshold=0.3)))
