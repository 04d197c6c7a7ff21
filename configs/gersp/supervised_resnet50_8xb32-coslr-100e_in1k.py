# Baseline IMP-style: supervised ImageNet classification under the GeRSP
# recipe (GeRSP's natural stream alone): the bases of the official GeRSP run
# (gersp_resnet50_8xb32-coslr-100e_millionaid-in1k.py), hence the same
# ResNet-50, natural-image augmentation, SGD schedule and 100 ImageNet
# epochs, 8 GPUs x 32 images; mmpretrain's ImageClassifier (pooled features
# -> GeRSP's Linear(2048, 1000) classifier, cross-entropy). It is the
# reference the paper compares with, trained the way GeRSP trains its
# natural stream (torchvision's ImageNet weights had another recipe). Colour
# augmentation runs in the loader workers (the CPU pipeline, same
# distribution as GeRSP's device stage).
# Export with tools/model_converters/export_backbone.py as for GeRSP.
_base_ = [
    '../_base_/models/gersp_resnet50.py',
    '../_base_/datasets/millionaid_in1k_dualstream_cpu-colour.py',
    '../_base_/schedules/sgd_coslr-restart-100e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _delete_=True,
    type='ImageClassifier',
    data_preprocessor=dict(
        type='ClsDataPreprocessor',
        mean={{_base_.model.data_preprocessor.mean}},
        std={{_base_.model.data_preprocessor.std}},
        to_rgb={{_base_.model.data_preprocessor.to_rgb}}),
    backbone={{_base_.model.backbone}},
    neck=dict(type='GlobalAveragePooling'),
    head={{_base_.model.cls_head}})

train_dataloader = dict(
    batch_size={{_base_.n_nat}},
    drop_last=True,  # full batches, as the dual-stream sampler gives
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    collate_fn=dict(_delete_=True, type='default_collate'),
    dataset=dict(
        _delete_=True,
        type='ImageNet',
        data_root={{_base_.natural_root}},
        split='train',
        pipeline={{_base_.natural_pipeline}}))
# 8 GPUs x 32 natural images (GeRSP's 512 counts 256 RS images too)
auto_scale_lr = dict(base_batch_size=256)
custom_hooks = [dict(type='ExactResumeHook'), dict(type='NonFiniteLossHook')]
