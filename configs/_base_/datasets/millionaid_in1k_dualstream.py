# Dual-stream data: unlabeled Million-AID (RS, two views) + labeled
# ImageNet-1k (natural, one view). Official augmentation, identical for all
# three crops (GERSP_SPEC.md): RandomResizedCrop 224 scale (0.2, 1),
# RandomGrayscale 0.2, ColorJitter(0.4, 0.4, 0.4, 0.4) always, h-flip.
rs_root = 'data/MillionAID/test'
natural_root = 'data/imagenet'
n_rs = 32
n_nat = 32

# Colour ops run in torchvision on PIL images (as the official mmselfsup-0.x
# pipeline did); mmcv 2.1's own adjust_hue overflows under numpy 2.
view_pipeline = [
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.2, 1.),
         backend='pillow'),
    dict(type='NumpyToPIL', to_rgb=True),
    dict(type='torchvision/RandomGrayscale', p=0.2),
    dict(type='torchvision/ColorJitter', brightness=0.4, contrast=0.4,
         saturation=0.4, hue=0.4),
    dict(type='torchvision/RandomHorizontalFlip', p=0.5),
    dict(type='PILToNumpy', to_bgr=True),
]
rs_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs', meta_keys=['img_path']),
]
natural_pipeline = [
    dict(type='LoadImageFromFile'),
    *view_pipeline,
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=n_rs + n_nat,
    num_workers=8,
    pin_memory=True,
    persistent_workers=True,
    sampler=dict(type='DualStreamSampler', n_rs=n_rs, n_nat=n_nat,
                 shuffle=True, epoch_length='longest'),
    collate_fn=dict(type='dual_stream_collate'),
    dataset=dict(
        type='DualStreamDataset',
        num_classes=1000,  # checked against every natural label at build
        datasets=[
            dict(type='RSImageFolder', data_root=rs_root,
                 pipeline=rs_pipeline),
            dict(type='ImageNet', data_root=natural_root, split='train',
                 pipeline=natural_pipeline),
        ]))
