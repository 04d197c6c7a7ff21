# GeRSP ResNet-50 frozen (BN statistics included), linear head trained on
# EuroSAT, 8:2 split: a quick check of the features, not the paper's protocol.
_base_ = [
    'mmpretrain::_base_/models/resnet50.py',
    './_base_/datasets/eurosat_tr80.py',
    './_base_/schedules/sgd-steplr-100e_linear.py',
]

# The exported GeRSP backbone (tools/model_converters/export_backbone.py).
checkpoint = 'work_dirs/gersp_r50.pth'

model = dict(
    backbone=dict(
        frozen_stages=4,  # stem + all four stages frozen, kept in eval mode
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    head=dict(num_classes=10))
train_dataloader = dict(batch_size=256)
val_dataloader = dict(batch_size=256)
test_dataloader = val_dataloader
