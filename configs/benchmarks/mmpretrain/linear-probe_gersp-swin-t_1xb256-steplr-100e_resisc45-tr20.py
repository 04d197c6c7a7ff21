# GeRSP Swin-T frozen, linear head on its pooled last map trained on
# NWPU-RESISC45, 2:8 split: linear-probe_gersp-r50_1xb256-steplr-100e_resisc45-tr20.py
# (mmpretrain's MoCo v2 linear protocol: SGD lr 30, no weight decay, steps
# 60/80 of 100 epochs, batch 256) with the GeRSP Swin-T backbone
# (configs/gersp/gersp_swin-tiny_8xb32-coslr-100e_millionaid-in1k.py).
_base_ = [
    './linear-probe_gersp-r50_1xb256-steplr-100e_resisc45-tr20.py',
    '../_base_/backbones/gersp_swin-t_convnext-t.py'
]

# The exported GeRSP backbone (tools/model_converters/export_backbone.py).
checkpoint = 'work_dirs/gersp_swin-t.pth'

model = dict(
    # the head reads the last of the four outputs (as the fine-tuning)
    backbone=dict(
        _base_.gersp_swin_t,
        _delete_=True,
        pad_small_map=False,
        # patch embedding, stages 0-3 and their norms frozen, in eval mode
        # (no stochastic depth: drop_path_rate stays 0)
        frozen_stages=3,
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    head=dict(in_channels=768))
