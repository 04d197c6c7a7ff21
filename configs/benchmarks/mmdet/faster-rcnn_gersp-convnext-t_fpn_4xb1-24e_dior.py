# Faster R-CNN ConvNeXt-T-FPN on DIOR: faster-rcnn_gersp-swin-t_fpn_4xb1-24e_dior.py
# (the r50 config's protocol: 800x800, 24 epochs with steps 16/22, total
# batch 4, NMS IoU 0.3, mAP@0.5; FPN on 96/192/384/768 channels) with the
# GeRSP ConvNeXt-T backbone
# (configs/gersp/gersp_convnext-tiny_8xb32-coslr-100e_millionaid-in1k.py) and
# mmdet's ConvNeXt-T fine-tuning settings (mmdet configs/convnext/
# mask-rcnn_convnext-t-p4-w7_fpn_amp-ms-crop-3x_coco.py).
_base_ = ['./faster-rcnn_gersp-swin-t_fpn_4xb1-24e_dior.py']

# The exported GeRSP backbone (tools/model_converters/export_backbone.py).
checkpoint = 'work_dirs/gersp_convnext-t.pth'

model = dict(
    backbone=dict(
        _base_.gersp_convnext_t,
        _delete_=True,
        drop_path_rate=0.4,
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')))
# mmdet's ConvNeXt-T optimiser: AdamW lr 1e-4 for a total batch of 16,
# weight decay 0.05 (none on 1-D parameters and biases), lr decayed by 0.95
# per layer towards the stem; lr scaled to the batch of 4 linearly: 2.5e-5.
# fp32 (mmdet's config uses AMP). The schedule is the r50 config's.
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    constructor='LearningRateDecayOptimizerConstructor',
    paramwise_cfg=dict(decay_rate=0.95, decay_type='layer_wise', num_layers=6),
    optimizer=dict(
        type='AdamW', lr=2.5e-5, betas=(0.9, 0.999), weight_decay=0.05))
