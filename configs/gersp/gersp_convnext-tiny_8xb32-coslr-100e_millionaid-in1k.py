# GeRSP with a ConvNeXt-T student: the Swin-T recipe, itself the ResNet-50
# recipe (data pipeline, batch composition 8 GPUs x (32 Million-AID + 32
# ImageNet), queue, teacher, hooks, 100 epochs) with mmpretrain's AdamW
# schedule. mmpretrain's ConvNeXt-T recipe (configs/convnext/
# convnext-tiny_32xb128_in1k.py) inherits that same schedule
# (_base_/schedules/imagenet_bs1024_adamw_swin.py) and changes only what is
# changed here; its model is _base_/models/convnext/convnext-tiny.py. Launch:
#   tools/dist_train.sh configs/gersp/gersp_convnext-tiny_8xb32-coslr-100e_millionaid-in1k.py 8
# Export and downstream: configs/benchmarks/*/*_gersp-convnext-t_*.py.
_base_ = ['./gersp_swin-tiny_8xb32-coslr-100e_millionaid-in1k.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='ConvNeXt',
        arch='tiny',
        # The norms of all four stages, although GeRSP uses the last output
        # only: the downstream detectors and segmentors take
        # out_indices=(0, 1, 2, 3), whose norm0..norm2 then load from the
        # export like every other tensor (0 missing); find_unused_parameters
        # (Swin-T recipe) lets DDP run without their gradients.
        out_indices=(0, 1, 2, 3),
        # mmpretrain's ImageNet ConvNeXt: average-pool, then the final norm;
        # the last output is already a (N, 768) vector, used as it is.
        gap_before_final_norm=True,
        # mmpretrain: 0.1 for supervised ImageNet training. 0 here: the
        # teacher is a copy of the student and would drop paths of the keys
        # as well; the fine-tuning configs set their own rates.
        drop_path_rate=0.0,
        # mmpretrain convnext-tiny.py's model init_cfg, on the backbone
        init_cfg=dict(
            type='TruncNormal', layer=['Conv2d', 'Linear'], std=.02,
            bias=0.)))

# mmpretrain: lr 4e-3 for 4096 images (32 GPUs x 128), i.e. 5e-4 per 512 as
# the Swin-T recipe; weight decay 0.05, none on norms, biases and other 1-D
# parameters (the layer scales); no gradient clipping. Its model EMA for
# evaluation is left out: GeRSP's teacher is one already.
optim_wrapper = dict(optimizer=dict(lr=5e-4), clip_grad=None)
