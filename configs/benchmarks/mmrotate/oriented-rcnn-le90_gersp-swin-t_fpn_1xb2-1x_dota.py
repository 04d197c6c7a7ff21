# Oriented R-CNN le90 Swin-T-FPN 1x on DOTA-v1.0: the protocol of
# oriented-rcnn-le90_gersp-r50_fpn_1xb2-1x_dota.py (1024x1024 crops with gap
# 200, train on train+val, 12 epochs, batch 2; the backbone fully trainable)
# with the GeRSP Swin-T backbone
# (configs/gersp/gersp_swin-tiny_8xb32-coslr-100e_millionaid-in1k.py) and
# mmrotate's own Swin-T settings (mmrotate configs/oriented_rcnn/
# oriented-rcnn-le90_swin-tiny_fpn_1x_dota.py: AdamW, drop path 0.2, FPN
# widths).
_base_ = [
    './oriented-rcnn-le90_gersp-r50_fpn_1xb2-1x_dota.py',
    '../_base_/backbones/gersp_swin-t_convnext-t.py'
]

# The exported GeRSP backbone (tools/model_converters/export_backbone.py).
checkpoint = 'work_dirs/gersp_swin-t.pth'

# mmrotate's registries have no lazy import locations: import its modules;
# and mmpretrain's (the backbone's layout)
custom_imports = dict(
    imports=[
        'mmrotate.datasets', 'mmrotate.evaluation', 'mmrotate.models',
        'mmrotate.visualization', 'mmpretrain.models'
    ],
    allow_failed_imports=False)
model = dict(
    backbone=dict(
        _base_.gersp_swin_t,
        _delete_=True,
        drop_path_rate=0.2,
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    neck=dict(in_channels=[96, 192, 384, 768]))
# mmrotate's Swin-T optimiser, for the same batch of 2: AdamW lr 1e-4,
# weight decay 0.05; the backbone at 0.1 x lr; no decay on its norms and
# position tables (the names below are mmpretrain's Swin's, as mmdet's);
# the r50 config's schedule (warm-up, steps 8/11, gradient clipping) kept.
depths = [2, 2, 6, 2]
backbone_norm_multi = dict(lr_mult=0.1, decay_mult=0.0)
custom_keys = {
    'backbone': dict(lr_mult=0.1, decay_mult=1.0),
    'backbone.patch_embed.norm': backbone_norm_multi,
    'backbone.norm': backbone_norm_multi,
    'absolute_pos_embed': backbone_norm_multi,
    'relative_position_bias_table': backbone_norm_multi,
}
custom_keys.update({
    f'backbone.stages.{stage_id}.blocks.{block_id}.norm': backbone_norm_multi
    for stage_id, num_blocks in enumerate(depths)
    for block_id in range(num_blocks)
})
custom_keys.update({
    f'backbone.stages.{stage_id}.downsample.norm': backbone_norm_multi
    for stage_id in range(len(depths) - 1)
})
optim_wrapper = dict(
    optimizer=dict(
        _delete_=True,
        type='AdamW',
        lr=0.0001,
        betas=(0.9, 0.999),
        weight_decay=0.05),
    paramwise_cfg=dict(custom_keys=custom_keys, norm_decay_mult=0.0))
