# Oriented R-CNN le90 ConvNeXt-T-FPN 1x on DOTA-v1.0: the protocol of
# oriented-rcnn-le90_gersp-r50_fpn_1xb2-1x_dota.py (1024x1024 crops with gap
# 200, train on train+val, 12 epochs, batch 2; the backbone fully trainable)
# with the GeRSP ConvNeXt-T backbone
# (configs/gersp/gersp_convnext-tiny_8xb32-coslr-100e_millionaid-in1k.py) and
# mmrotate's own ConvNeXt-T settings (mmrotate configs/convnext/
# rotated-retinanet-rbox-le90_convnext-tiny_fpn_kld-stable_adamw-1x_dota.py:
# drop path 0.4, maps before pooling, AdamW lr 1e-4 and weight decay 0.05
# for this batch of 2, FPN widths).
_base_ = ['./oriented-rcnn-le90_gersp-swin-t_fpn_1xb2-1x_dota.py']

# The exported GeRSP backbone (tools/model_converters/export_backbone.py).
checkpoint = 'work_dirs/gersp_convnext-t.pth'

# (imports and FPN widths: the Swin-T config's)
model = dict(
    backbone=dict(
        _base_.gersp_convnext_t,
        _delete_=True,
        drop_path_rate=0.4,
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')))
# mmrotate's ConvNeXt-T optimiser: plain AdamW (no lr or decay multipliers)
optim_wrapper = dict(
    optimizer=dict(lr=0.0001, weight_decay=0.05),
    paramwise_cfg=dict(_delete_=True))
