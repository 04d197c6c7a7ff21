# UperNet R50 on LoveDA (7 classes, 0 = no-data ignored): mmseg's LoveDA
# recipe (512x512 crops, 4 GPUs x 4, 80k iterations, SGD lr 0.01 poly),
# mIoU on the val split. Not in the paper; the usual RS segmentation
# baseline. Plain ResNet-50 (the GeRSP weights), fully trainable.
_base_ = [
    'mmseg::_base_/models/upernet_r50.py',
    'mmseg::_base_/datasets/loveda.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_80k.py',
]

# The exported GeRSP backbone (tools/model_converters/export_backbone.py).
checkpoint = 'work_dirs/gersp_r50.pth'

crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size),
    pretrained=None,  # mmseg would hand 'open-mmlab://resnet50_v1c' over
    backbone=dict(
        type='ResNet',
        depth=50,
        frozen_stages=-1,  # fully trainable, as in the paper
        norm_eval=False,
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    decode_head=dict(num_classes=7),
    auxiliary_head=dict(num_classes=7))
