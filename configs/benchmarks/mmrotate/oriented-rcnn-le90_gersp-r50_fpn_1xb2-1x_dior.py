# Oriented R-CNN le90 R50-FPN 1x on DIOR-R (oriented boxes, 20 classes):
# mmrotate's DIOR data settings (800x800, train on train + val, test on test,
# DOTAMetric mAP@0.5) with the DOTA Oriented R-CNN model and schedule, and
# the GeRSP backbone fully trainable. Not in the paper; no reference number.
#   data/DIOR/JPEGImages-trainval/  data/DIOR/JPEGImages-test/
#   data/DIOR/Annotations/Oriented Bounding Boxes/*.xml
#   data/DIOR/ImageSets/Main/{train,val,test}.txt
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
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')),
    roi_head=dict(bbox_head=dict(num_classes=20)))

# mmrotate's configs/_base_/datasets/dior.py, restated over the DOTA data
# settings the base config brings.
dataset_type = 'DIORDataset'
data_root = 'data/DIOR/'
backend_args = None
train_pipeline = [
    dict(type='mmdet.LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
    dict(type='ConvertBoxType', box_type_mapping=dict(gt_bboxes='rbox')),
    dict(type='mmdet.Resize', scale=(800, 800), keep_ratio=True),
    dict(
        type='mmdet.RandomFlip',
        prob=0.75,
        direction=['horizontal', 'vertical', 'diagonal']),
    dict(type='mmdet.PackDetInputs')
]
val_pipeline = [
    dict(type='mmdet.LoadImageFromFile', backend_args=backend_args),
    dict(type='mmdet.Resize', scale=(800, 800), keep_ratio=True),
    # loaded after Resize: ground truth stays in original coordinates
    dict(type='mmdet.LoadAnnotations', with_bbox=True, box_type='qbox'),
    dict(type='ConvertBoxType', box_type_mapping=dict(gt_bboxes='rbox')),
    dict(
        type='mmdet.PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        ignore_keys=['DATASET_TYPE'],
        datasets=[
            dict(
                type=dataset_type,
                data_root=data_root,
                ann_file='ImageSets/Main/train.txt',
                data_prefix=dict(img_path='JPEGImages-trainval'),
                filter_cfg=dict(filter_empty_gt=True),
                pipeline=train_pipeline,
                backend_args=backend_args),
            dict(
                type=dataset_type,
                data_root=data_root,
                ann_file='ImageSets/Main/val.txt',
                data_prefix=dict(img_path='JPEGImages-trainval'),
                filter_cfg=dict(filter_empty_gt=True),
                pipeline=train_pipeline,
                backend_args=backend_args)
        ]))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Main/test.txt',
        data_prefix=dict(img_path='JPEGImages-test'),
        test_mode=True,
        pipeline=val_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader
val_evaluator = dict(type='DOTAMetric', metric='mAP')
test_evaluator = val_evaluator
