# The GeRSP Swin-T and ConvNeXt-T backbones as the downstream configs build
# them, for init_cfg=dict(type='Pretrained', checkpoint=..., prefix=
# 'backbone.') with the exports of configs/gersp/gersp_swin-tiny_* and
# gersp_convnext-tiny_*: mmpretrain's modules (the export's layout; mmdet's
# and mmseg's own Swin name their layers differently), all four stage norms
# as pre-trained (0 missing, 0 unexpected tensors), fully trainable. Each
# config adds its library's drop path rate and its own init_cfg.
gersp_swin_t = dict(
    type='mmpretrain.SwinTransformer',
    arch='tiny',
    out_indices=(0, 1, 2, 3),
    # maps smaller than the 7 px window are padded, not refused, as by
    # mmdet's and mmseg's own Swin (no change for larger maps)
    pad_small_map=True,
    frozen_stages=-1,
    norm_eval=False)
gersp_convnext_t = dict(
    type='mmpretrain.ConvNeXt',
    arch='tiny',
    out_indices=(0, 1, 2, 3),
    gap_before_final_norm=False,  # maps, not pooled vectors
    frozen_stages=-1)
# Weight-decay exclusions of mmdet's and mmseg's Swin-T configs
swin_no_decay = {
    'absolute_pos_embed': dict(decay_mult=0.),
    'relative_position_bias_table': dict(decay_mult=0.),
    'norm': dict(decay_mult=0.)
}
