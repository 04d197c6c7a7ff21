# GeRSP ConvNeXt-T + linear head, fully fine-tuned on NWPU-RESISC45, 2:8
# split: finetune_gersp-swin-t_1xb64-coslr-100e_resisc45-tr20.py (the r50
# config's protocol and schedule shape; mmpretrain's AdamW, lr 6.25e-5 for
# this batch of 64, weight decay 0.05, none on 1-D parameters) with the
# GeRSP ConvNeXt-T backbone
# (configs/gersp/gersp_convnext-tiny_8xb32-coslr-100e_millionaid-in1k.py) and
# mmpretrain's ConvNeXt-T settings (mmpretrain configs/convnext/
# convnext-tiny_32xb128_in1k.py: drop path 0.1, no gradient clipping, the
# backbone's own pooling and final norm, no neck).
_base_ = ['./finetune_gersp-swin-t_1xb64-coslr-100e_resisc45-tr20.py']

# The exported GeRSP backbone (tools/model_converters/export_backbone.py).
checkpoint = 'work_dirs/gersp_convnext-t.pth'

model = dict(
    # the head reads the last, pooled (N, 768) output, as pre-trained
    backbone=dict(
        _base_.gersp_convnext_t,
        _delete_=True,
        gap_before_final_norm=True,
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    neck=None)
optim_wrapper = dict(clip_grad=None)
