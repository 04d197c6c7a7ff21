# Oriented R-CNN le90 R50-FPN 1x on DOTA-v1.0 (mmrotate's standard oriented
# protocol): 1024x1024 crops with gap 200, train on train+val, test on the
# test split through the evaluation server (ImageNet weights: 75.69 mAP in
# mmrotate's model zoo). Only the backbone changes: GeRSP weights, fully
# trainable (mmrotate freezes the stem and stage 1 and keeps BN in eval mode
# for ImageNet weights). Crops come from
#   python tools/dataset_converters/dota_split.py --protocol obb-1024 \
#       --img-dirs data/DOTA/train/images data/DOTA/val/images \
#       --ann-dirs data/DOTA/train/labelTxt data/DOTA/val/labelTxt \
#       --out-dir data/split_ss_dota/trainval
#   python tools/dataset_converters/dota_split.py --protocol obb-1024 \
#       --img-dirs data/DOTA/test/images --out-dir data/split_ss_dota/test
_base_ = 'mmrotate::oriented_rcnn/oriented-rcnn-le90_r50_fpn_1x_dota.py'

# The exported GeRSP backbone (tools/model_converters/export_backbone.py).
checkpoint = 'work_dirs/gersp_r50.pth'

# mmrotate's registries have no lazy import locations: import its modules.
custom_imports = dict(
    imports=[
        'mmrotate.datasets', 'mmrotate.evaluation',
        'mmrotate.models', 'mmrotate.visualization'
    ],
    allow_failed_imports=False)
model = dict(
    backbone=dict(
        frozen_stages=-1,  # fully trainable, as in the paper
        norm_eval=False,
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')))
