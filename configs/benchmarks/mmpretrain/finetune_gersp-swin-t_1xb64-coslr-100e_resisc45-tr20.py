# GeRSP Swin-T + global average pooling + linear head, fully fine-tuned on
# NWPU-RESISC45, 2:8 split: the protocol and schedule shape of
# finetune_gersp-r50_1xb64-coslr-100e_resisc45-tr20.py (batch 64, 5-epoch
# warm-up + cosine, 100 epochs) with the GeRSP Swin-T backbone
# (configs/gersp/gersp_swin-tiny_8xb32-coslr-100e_millionaid-in1k.py) and
# mmpretrain's Swin-T training settings (mmpretrain configs/swin_transformer/
# swin-tiny_16xb64_in1k.py: AdamW, drop path 0.2, gradient clipping).
_base_ = [
    './finetune_gersp-r50_1xb64-coslr-100e_resisc45-tr20.py',
    '../_base_/backbones/gersp_swin-t_convnext-t.py'
]

# The exported GeRSP backbone (tools/model_converters/export_backbone.py).
checkpoint = 'work_dirs/gersp_swin-t.pth'

model = dict(
    # the head reads the last of the four outputs; at 224 px no map is
    # smaller than the window: Swin's own behaviour, as in pre-training
    backbone=dict(
        _base_.gersp_swin_t,
        _delete_=True,
        pad_small_map=False,
        drop_path_rate=0.2,
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    head=dict(in_channels=768))
# mmpretrain's Swin-T optimiser: AdamW lr 5e-4 per 512 images, scaled to
# this batch of 64: 6.25e-5; weight decay 0.05, none on norms, biases,
# other 1-D parameters and position tables; gradient norm clipped at 5.
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=6.25e-5, weight_decay=0.05, eps=1e-8,
        betas=(0.9, 0.999)),
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        flat_decay_mult=0.0,
        custom_keys={
            '.absolute_pos_embed': dict(decay_mult=0.0),
            '.relative_position_bias_table': dict(decay_mult=0.0)
        }),
    clip_grad=dict(max_norm=5.0))
