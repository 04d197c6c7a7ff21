# UperNet ConvNeXt-T on LoveDA: upernet_gersp-swin-t_4xb4-80k_loveda-512x512.py
# (the r50 config's protocol: 512x512 crops, 4 GPUs x 4, 80k iterations, mIoU
# on val; head widths 96/192/384/768; 1500 warm-up iterations, then poly)
# with the GeRSP ConvNeXt-T backbone
# (configs/gersp/gersp_convnext-tiny_8xb32-coslr-100e_millionaid-in1k.py) and
# mmseg's ConvNeXt-T UperNet settings (mmseg configs/convnext/
# convnext-tiny_upernet_8xb2-amp-160k_ade20k-512x512.py: the same total
# batch of 16, drop path 0.4, maps before pooling, AdamW lr 1e-4, weight
# decay 0.05, lr decayed by 0.9 per stage towards the stem; fp32 here, AMP
# there).
_base_ = ['./upernet_gersp-swin-t_4xb4-80k_loveda-512x512.py']

# The exported GeRSP backbone (tools/model_converters/export_backbone.py).
checkpoint = 'work_dirs/gersp_convnext-t.pth'

model = dict(
    backbone=dict(
        _base_.gersp_convnext_t,
        _delete_=True,
        drop_path_rate=0.4,
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')))
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    constructor='LearningRateDecayOptimizerConstructor',
    paramwise_cfg=dict(decay_rate=0.9, decay_type='stage_wise', num_layers=6),
    optimizer=dict(
        type='AdamW', lr=0.0001, betas=(0.9, 0.999), weight_decay=0.05))
