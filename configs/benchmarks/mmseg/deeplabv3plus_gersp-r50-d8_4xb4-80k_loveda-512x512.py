# DeepLabV3+ R50-D8 on LoveDA (7 classes, 0 = no-data ignored), one of the
# paper's two LoveDA heads: mmseg's LoveDA recipe (512x512 crops, 4 GPUs x 4,
# 80k iterations, SGD lr 0.01 poly), mIoU on the val split. The backbone is
# a plain ResNet-50 (the GeRSP weights), not mmseg's deep-stem ResNetV1c,
# fully trainable. Paper numbers: README.md.
_base_ = 'mmseg::deeplabv3plus/deeplabv3plus_r50-d8_4xb4-80k_loveda-512x512.py'

# The exported GeRSP backbone (tools/model_converters/export_backbone.py).
checkpoint = 'work_dirs/gersp_r50.pth'

model = dict(
    pretrained=None,  # mmseg would hand 'open-mmlab://resnet50_v1c' over
    backbone=dict(
        type='ResNet',
        depth=50,
        frozen_stages=-1,  # fully trainable, as in the paper
        norm_eval=False,
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')))
