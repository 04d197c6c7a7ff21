# GeRSP ResNet-50, 8 GPUs x (32 Million-AID + 32 ImageNet), 100 epochs:
# the official run (floatingstarZ/GeRSP). Launch:
#   tools/dist_train.sh configs/gersp/gersp_resnet50_8xb32-coslr-100e_millionaid-in1k.py 8
# Data: data/MillionAID/test/** (any depth, labels unused) and
# data/imagenet/{train/,meta/train.txt}; or --rs-root/--natural-root.
# Loader: fused decode + crop (JPEG reduced-size decoding), colour
# augmentation on the GPU (DeviceColorAugment + DualStreamDataPreprocessor).
# The CPU colour pipeline (torchvision in the workers, the official one; same
# distribution, about 3x the loader CPU): replace the dataset base below by
# '../_base_/datasets/millionaid_in1k_dualstream_cpu-colour.py'.
_base_ = [
    '../_base_/models/gersp_resnet50.py',
    '../_base_/datasets/millionaid_in1k_dualstream.py',
    '../_base_/schedules/sgd_coslr-restart-100e.py',
    '../_base_/default_runtime.py',
]

# Reproduce the code that produced the published numbers, not the paper's
# text (README.md, "Where the paper and the official code differ"):
# constant momentum 0.999 and a projector frozen after the iteration-0 copy.
# For the paper's variant: --cfg-options model.teacher_projector=ema
# custom_hooks.0.momentum=0.996
# Fast path: NHWC inputs (numerically identical, faster convolutions on
# recent GPUs); add --amp for bf16 mixed precision (the official run is fp32).
model = dict(teacher_projector='frozen',
             data_preprocessor=dict(channels_last=True))
custom_hooks = [
    dict(type='GeRSPEMAHook', momentum=0.999),
    dict(type='ExactResumeHook'),
    dict(type='NonFiniteLossHook'),
]
