# As linear-probe_gersp-r50_1xb256-steplr-100e_resisc45-tr20.py,
# with the paper's other NWPU-RESISC45 split: 1:9 (per class 10 % train /
# 90 % test, seed 0), from
#   python tools/dataset_converters/scene_cls_split.py data/resisc45/images \
#       --train-ratio 0.1 --seed 0 --out-dir data/resisc45/meta/tr10-seed0
_base_ = ['./linear-probe_gersp-r50_1xb256-steplr-100e_resisc45-tr20.py']

# The exported GeRSP backbone (tools/model_converters/export_backbone.py).
checkpoint = 'work_dirs/gersp_r50.pth'

model = dict(
    backbone=dict(
        frozen_stages=4,  # frozen, as in the 2:8 linear probe
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')))
split_dir = 'meta/tr10-seed0/'
train_dataloader = dict(
    dataset=dict(
        ann_file=split_dir + 'train.txt',
        classes='data/resisc45/' + split_dir + 'classes.txt'))
val_dataloader = dict(
    dataset=dict(
        ann_file=split_dir + 'test.txt',
        classes='data/resisc45/' + split_dir + 'classes.txt'))
test_dataloader = val_dataloader
