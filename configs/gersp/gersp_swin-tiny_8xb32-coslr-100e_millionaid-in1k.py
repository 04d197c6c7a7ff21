# GeRSP with a Swin-T student: the ResNet-50 recipe
# (gersp_resnet50_8xb32-coslr-100e_millionaid-in1k.py: data pipeline, batch
# composition 8 GPUs x (32 Million-AID + 32 ImageNet), queue, teacher, hooks,
# 100 epochs) with the backbone, initialisation and optimiser mmpretrain
# trains Swin-T with: mmpretrain's configs/swin_transformer/
# swin-tiny_16xb64_in1k.py, _base_/models/swin_transformer/tiny_224.py and
# _base_/schedules/imagenet_bs1024_adamw_swin.py ("mmpretrain" below). Launch:
#   tools/dist_train.sh configs/gersp/gersp_swin-tiny_8xb32-coslr-100e_millionaid-in1k.py 8
# Export and downstream: configs/benchmarks/*/*_gersp-swin-t_*.py.
_base_ = ['./gersp_resnet50_8xb32-coslr-100e_millionaid-in1k.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='SwinTransformer',
        arch='tiny',
        img_size=224,
        # The norms of all four stages, although GeRSP pools the last output
        # only (768 x 7 x 7 at 224 px): the downstream detectors and
        # segmentors take out_indices=(0, 1, 2, 3), whose norm0..norm2 then
        # load from the export like every other tensor (0 missing). They get
        # no gradient here: see find_unused_parameters below.
        out_indices=(0, 1, 2, 3),
        # mmpretrain: 0.2 for supervised ImageNet training. 0 here: the
        # teacher is a copy of the student and would drop paths of the keys
        # as well (MoCo v3 pre-trains without stochastic depth); the
        # fine-tuning configs set mmpretrain's/mmdet's/mmseg's rates.
        drop_path_rate=0.0,
        # mmpretrain tiny_224.py's model init_cfg, on the backbone
        init_cfg=[
            dict(type='TruncNormal', layer='Linear', std=0.02, bias=0.),
            dict(type='Constant', layer='LayerNorm', val=1., bias=0.)
        ]),
    # 768 -> 768 -> ReLU -> 128 and a 768 -> classes classifier: the widths
    # are the backbone's, measured when the model is built
    neck=dict(in_channels='auto', hid_channels='auto'),
    cls_head=dict(in_channels='auto'))

# AdamW as mmpretrain: lr 5e-4 per 512 images (its 1e-3 = 5e-4 x 1024 / 512
# for 16 GPUs x 64), here 512 images per step (8 x (32 + 32)), so 5e-4;
# weight decay 0.05, none on norms, biases, other 1-D parameters and the
# relative position bias tables (absolute_pos_embed: unused by Swin-T, kept
# as in mmpretrain); gradient norm clipped at 5 (swin-tiny_16xb64_in1k.py).
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=5e-4, weight_decay=0.05, eps=1e-8,
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
# mmpretrain's shape: linear warm-up from lr x 1e-3 (per iteration), then
# cosine to 1e-5, by epoch; its 20 warm-up epochs of 300 scaled to 100: 7.
warmup_epochs = 7
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True,
         begin=warmup_epochs, end=100),
]
# norm0..norm2 above are built and exported but unused by the loss: DDP must
# not wait for their gradients.
find_unused_parameters = True
