# millionaid_in1k_dualstream.py with the colour augmentation on the CPU, in
# the loader workers: torchvision on PIL images, as the official
# mmselfsup-0.x pipeline did (mmcv 2.1's own adjust_hue overflows under
# numpy 2). Same distribution as the device stage; about 3x the loader CPU.
_base_ = './millionaid_in1k_dualstream.py'

crop = _base_.crop
# The base's colour_args as torchvision transforms of one view.
view_colour = [
    dict(type='NumpyToPIL', to_rgb=True),
    dict(type='torchvision/RandomGrayscale',
         p=_base_.colour_args.grayscale_prob),
    dict(type='torchvision/ColorJitter', **{
        k: _base_.colour_args[k]
        for k in ('brightness', 'contrast', 'saturation', 'hue')}),
    dict(type='torchvision/RandomHorizontalFlip',
         p=_base_.colour_args.flip_prob),
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
