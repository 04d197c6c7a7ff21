# NWPU-RESISC45: 31,500 256x256 aerial scenes, 45 classes x 700.
# Split rule (paper: 2:8 and 1:9): per class, 20 % train / 80 % test, seed 0,
# written by
#   python tools/dataset_converters/scene_cls_split.py data/resisc45/images \
#       --train-ratio 0.2 --seed 0 --out-dir data/resisc45/meta/tr20-seed0
# (data/resisc45/images/<class>/<class>_<nnn>.jpg is the extracted
# NWPU-RESISC45 folder). The 1:9 configs use --train-ratio 0.1 and
# meta/tr10-seed0. There is no val split: the test split is evaluated.
dataset_type = 'CustomDataset'
data_root = 'data/resisc45/'
split_dir = 'meta/tr20-seed0/'

# ImageNet mean/std in RGB order, as in GeRSP pre-training.
data_preprocessor = dict(
    num_classes=45,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

# 256 px scenes: random 224 crops for training, resized to 224 for testing.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(224, 224), backend='pillow'),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix='images',
        ann_file=split_dir + 'train.txt',
        classes=data_root + split_dir + 'classes.txt',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix='images',
        ann_file=split_dir + 'test.txt',
        classes=data_root + split_dir + 'classes.txt',
        pipeline=test_pipeline))
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
