# GeRSP ResNet-50 + linear head, fully fine-tuned on NWPU-RESISC45, 2:8 split.
# The paper's top-1 numbers for this benchmark are in README.md.
_base_ = [
    'mmpretrain::_base_/models/resnet50.py',
    './_base_/datasets/resisc45_tr20.py',
    './_base_/schedules/sgd-coslr-100e_finetune.py',
]

# The exported GeRSP backbone (tools/model_converters/export_backbone.py).
checkpoint = 'work_dirs/gersp_r50.pth'

model = dict(
    backbone=dict(
        frozen_stages=-1,  # fully trainable, as in the paper
        norm_eval=False,
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    head=dict(num_classes=45))
