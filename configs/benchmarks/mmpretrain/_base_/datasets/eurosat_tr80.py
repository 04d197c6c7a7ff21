# EuroSAT (RGB): 27,000 64x64 Sentinel-2 scenes, 10 classes.
# Split rule (paper: 8:2): per class, 80 % train / 20 % test, seed 0,
# written by
#   python tools/dataset_converters/scene_cls_split.py data/eurosat/images \
#       --train-ratio 0.8 --seed 0 --out-dir data/eurosat/meta/tr80-seed0
# (data/eurosat/images/<Class>/<Class>_<n>.jpg is the extracted EuroSAT_RGB
# folder). There is no separate val split: the test split is evaluated.
dataset_type = 'CustomDataset'
data_root = 'data/eurosat/'
split_dir = 'meta/tr80-seed0/'

# ImageNet mean/std in RGB order, as in GeRSP pre-training.
data_preprocessor = dict(
    num_classes=10,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

# 64 px scenes are upsampled to the 224 px the backbone was pre-trained at.
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
