# DOTA-v1.0 with horizontal boxes, the GeRSP paper's DOTA protocol:
# 800x800 crops with stride 640 (gap 160), train on the train split, test on
# the val split (on the crops), mAP at IoU 0.5. Crops come from
#   python tools/dataset_converters/dota_split.py --protocol hbb-800 \
#       --img-dirs data/DOTA/train/images --ann-dirs data/DOTA/train/labelTxt \
#       --out-dir data/split_800_dota/train          (and the same for val)
# The crops' DOTA polygons are read by mmrotate's DOTADataset and turned
# into their enclosing horizontal boxes.
dataset_type = 'mmrotate.DOTADataset'
data_root = 'data/split_800_dota/'
backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True, box_type='qbox'),
    dict(
        type='mmrotate.ConvertBoxType',
        box_type_mapping=dict(gt_bboxes='hbox')),
    dict(type='Resize', scale=(800, 800), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(800, 800), keep_ratio=True),
    # loaded after Resize: ground truth stays in original coordinates
    dict(type='LoadAnnotations', with_bbox=True, box_type='qbox'),
    dict(
        type='mmrotate.ConvertBoxType',
        box_type_mapping=dict(gt_bboxes='hbox')),
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
    # all crops are 800x800 (and DOTADataset records no image sizes)
    batch_sampler=None,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='train/annfiles/',
        data_prefix=dict(img_path='train/images/'),
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='val/annfiles/',
        data_prefix=dict(img_path='val/images/'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# DOTA's devkit scores with VOC07 11-point AP.
val_evaluator = dict(
    type='VOCMetric', metric='mAP', iou_thrs=0.5, eval_mode='11points')
test_evaluator = val_evaluator
