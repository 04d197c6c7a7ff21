# DIOR, horizontal boxes (mmgersp.datasets.dior.DIORDataset, mmdet scope):
# train on the official train + val lists, test on the test list; 800x800
# images kept at 800; evaluated with mAP at IoU 0.5 (VOC 'area' AP).
#   data/DIOR/JPEGImages-trainval/  data/DIOR/JPEGImages-test/
#   data/DIOR/Annotations/Horizontal Bounding Boxes/*.xml
#   data/DIOR/ImageSets/Main/{train,val,test}.txt
# Check a copy with: python tools/dataset_converters/dior.py data/DIOR
dataset_type = 'DIORDataset'
data_root = 'data/DIOR/'
ann_subdir = 'Annotations/Horizontal Bounding Boxes'
backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(800, 800), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(800, 800), keep_ratio=True),
    # loaded after Resize: ground truth stays in original coordinates
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type='ConcatDataset',
        datasets=[
            dict(
                type=dataset_type,
                data_root=data_root,
                ann_file='ImageSets/Main/train.txt',
                img_subdir='JPEGImages-trainval',
                ann_subdir=ann_subdir,
                filter_cfg=dict(filter_empty_gt=True),
                pipeline=train_pipeline,
                backend_args=backend_args),
            dict(
                type=dataset_type,
                data_root=data_root,
                ann_file='ImageSets/Main/val.txt',
                img_subdir='JPEGImages-trainval',
                ann_subdir=ann_subdir,
                filter_cfg=dict(filter_empty_gt=True),
                pipeline=train_pipeline,
                backend_args=backend_args),
        ]))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Main/test.txt',
        img_subdir='JPEGImages-test',
        ann_subdir=ann_subdir,
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='VOCMetric', metric='mAP', iou_thrs=0.5, eval_mode='area')
test_evaluator = val_evaluator
