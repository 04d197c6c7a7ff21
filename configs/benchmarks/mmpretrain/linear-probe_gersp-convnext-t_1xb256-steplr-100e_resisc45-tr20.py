# GeRSP ConvNeXt-T frozen, linear head on its pooled, normalised last stage
# trained on NWPU-RESISC45, 2:8 split:
# linear-probe_gersp-swin-t_1xb256-steplr-100e_resisc45-tr20.py (the r50
# config's protocol: mmpretrain's MoCo v2 linear schedule, SGD lr 30, batch
# 256) with the GeRSP ConvNeXt-T backbone
# (configs/gersp/gersp_convnext-tiny_8xb32-coslr-100e_millionaid-in1k.py),
# pooled as in pre-training (average, then the final norm; no neck).
_base_ = ['./linear-probe_gersp-swin-t_1xb256-steplr-100e_resisc45-tr20.py']

# The exported GeRSP backbone (tools/model_converters/export_backbone.py).
checkpoint = 'work_dirs/gersp_convnext-t.pth'

model = dict(
    backbone=dict(
        _base_.gersp_convnext_t,
        _delete_=True,
        gap_before_final_norm=True,
        # stem, downsampling layers and the four stages frozen, in eval mode
        frozen_stages=4,
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    neck=None)
# ConvNeXt's frozen_stages does not reach its final norms (norm0..norm3):
# lr 0 and no decay on every backbone parameter keeps them as exported too.
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={'backbone': dict(lr_mult=0.0, decay_mult=0.0)}))
