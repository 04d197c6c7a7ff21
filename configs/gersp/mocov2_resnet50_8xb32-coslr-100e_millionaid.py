# Baseline MoCo-MAID: MoCo v2 on Million-AID only (the RS stream of GeRSP,
# nothing natural). Model, augmentation, optimiser and schedule as
# mocov2_resnet50_8xb32-coslr-100e_millionaid-in1k.py (hence as GeRSP's
# official run); the data is the RS stream alone, 8 GPUs x 32 images, and an
# epoch is one pass over Million-AID (about 3,870 steps at 256 images, against
# GeRSP's 5,004 ImageNet-paced steps; the paper does not say whether its
# baselines matched steps: --cfg-options train_cfg.max_epochs=129 does).
_base_ = ['./mocov2_resnet50_8xb32-coslr-100e_millionaid-in1k.py']

train_dataloader = dict(
    batch_size={{_base_.n_rs}},
    drop_last=True,  # MoCo enqueues whole batches only
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='RSImageFolder',
        data_root={{_base_.rs_root}},
        pipeline={{_base_.rs_pipeline}}))
# 8 GPUs x 32 RS images (GeRSP's 512 counts 256 natural images too)
auto_scale_lr = dict(base_batch_size=256)
