# Dual-stream data: unlabeled Million-AID (RS, two views) + labeled
# ImageNet-1k (natural, one view). Official augmentation, identical for all
# three crops (the official GeRSP code; README.md, "Where the paper and the
# official code differ"): RandomResizedCrop 224 scale (0.2, 1),
# RandomGrayscale 0.2, ColorJitter(0.4, 0.4, 0.4, 0.4) always, h-flip.
rs_root = 'data/MillionAID/test'
natural_root = 'data/imagenet'
n_rs = 32
n_nat = 32

# Decode and crop fused: crop boxes drawn as RandomResizedCrop draws them,
# then each file decoded at the smallest size they allow (JPEG DCT scaling).
crop = dict(type='LoadImageRandomResizedCrop', scale=224,
            crop_ratio_range=(0.2, 1.))
# GeRSP's colour augmentation, the one place the configs write it (the CPU
# variant, millionaid_in1k_dualstream_cpu-colour.py, and the demo read it
# from here; the code's defaults, mmgersp.datasets.transforms.colour.
# COLOUR_DEFAULTS, are the same values, checked by a test).
colour_args = dict(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.4,
                   grayscale_prob=0.2, flip_prob=0.5)
# Colour on the device: the parameters of grayscale, jitter and flip are
# drawn here per view, the pixels are done by DualStreamDataPreprocessor on
# the whole batch after the transfer (same distribution as the torchvision
# ops of millionaid_in1k_dualstream_cpu-colour.py, about a third of the
# loader's CPU time; docs/benchmark.md).
colour = dict(type='DeviceColorAugment', **colour_args)
rs_pipeline = [
    dict(crop, num_views=2, output='tensor'),
    colour,
    dict(type='PackInputs', meta_keys=['img_path', 'colour_params']),
]
natural_pipeline = [
    dict(crop, output='tensor'),
    colour,
    dict(type='PackInputs',
         meta_keys=['sample_idx', 'img_path', 'ori_shape', 'img_shape',
                    'colour_params']),
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
