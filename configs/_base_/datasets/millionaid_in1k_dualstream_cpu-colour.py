# millionaid_in1k_dualstream.py with the colour augmentation on the CPU, in
# the loader workers: torchvision on PIL images, as the official
# mmselfsup-0.x pipeline did (mmcv 2.1's own adjust_hue overflows under
# numpy 2). Same distribution as the device stage; about 3x the loader CPU.
_base_ = './millionaid_in1k_dualstream.py'

crop = dict(type='LoadImageRandomResizedCrop', scale=224,
            crop_ratio_range=(0.2, 1.))
view_colour = [
    dict(type='NumpyToPIL', to_rgb=True),
    dict(type='torchvision/RandomGrayscale', p=0.2),
    dict(type='torchvision/ColorJitter', brightness=0.4, contrast=0.4,
         saturation=0.4, hue=0.4),
    dict(type='torchvision/RandomHorizontalFlip', p=0.5),
    dict(type='PILToNumpy', to_bgr=True),
]
rs_pipeline = [
    dict(crop, num_views=2),
    # the view transforms applied to each of the two crops
    dict(type='TransformBroadcaster', mapping={'img': 'img'},
         auto_remap=True, transforms=view_colour),
    dict(type='PackInputs', meta_keys=['img_path']),
]
natural_pipeline = [crop, *view_colour, dict(type='PackInputs')]

train_dataloader = dict(
    dataset=dict(datasets=[
        dict(type='RSImageFolder', data_root='data/MillionAID/test',
             pipeline=rs_pipeline),
        dict(type='ImageNet', data_root='data/imagenet', split='train',
             pipeline=natural_pipeline),
    ]))
