# Baseline MoCo-IN-MAID: MoCo v2 on Million-AID + ImageNet *without labels*,
# the GeRSP recipe with the supervised term removed. The bases, hence
# backbone, projector size, queue, temperature, augmentation, 8 GPUs x (32 RS
# + 32 natural) per step, epoch = one ImageNet pass and the SGD schedule, are
# those of the official GeRSP run (gersp_resnet50_8xb32-coslr-100e_
# millionaid-in1k.py), with its teacher momentum 0.999. The differences:
# - the natural images are augmented twice, exactly as the RS images, and go
#   through the contrastive branch as unlabeled images (their keys enter the
#   queue);
# - mmpretrain's MoCo v2 runs the step (a different data flow from GeRSP's:
#   one list of two views, default collate); one student forward over the 64
#   queries, so BatchNorm mixes the two domains as in GeRSP;
# - the teacher projector follows the student by EMA (MoCo v2; the official
#   GeRSP run freezes it);
# - colour augmentation runs in the loader workers (the CPU pipeline, same
#   distribution as GeRSP's device stage, which only the dual-stream batch
#   of GeRSP goes through).
# Launch: tools/dist_train.sh THIS_CONFIG 8; export the student with
# tools/model_converters/export_backbone.py as for GeRSP.
_base_ = [
    '../_base_/models/gersp_resnet50.py',
    '../_base_/datasets/millionaid_in1k_dualstream_cpu-colour.py',
    '../_base_/schedules/sgd_coslr-restart-100e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    _delete_=True,
    type='MoCo',
    queue_len={{_base_.model.queue_len}},
    feat_dim={{_base_.model.feat_dim}},
    momentum=0.001,  # mmengine's EMA convention: teacher momentum 0.999
    data_preprocessor={{_base_.model.data_preprocessor}},
    backbone={{_base_.model.backbone}},
    # GeRSP's projector (2048 -> 2048 -> ReLU -> 128, no BN), pooling first
    neck=dict(
        type='MoCoV2Neck',
        in_channels=2048,
        hid_channels=2048,
        out_channels=128,
        with_avg_pool=True),
    head={{_base_.model.head}})

train_dataloader = dict(
    collate_fn=dict(_delete_=True, type='default_collate'),
    dataset=dict(datasets=[
        dict(type='RSImageFolder', data_root={{_base_.rs_root}},
             pipeline={{_base_.rs_pipeline}}),
        # two views each, as the RS images; the labels are not used
        dict(type='ImageNet', data_root={{_base_.natural_root}},
             split='train', pipeline={{_base_.rs_pipeline}}),
    ]))

# MoCo updates its own momentum encoder (no GeRSPEMAHook).
custom_hooks = [dict(type='ExactResumeHook'), dict(type='NonFiniteLossHook')]
