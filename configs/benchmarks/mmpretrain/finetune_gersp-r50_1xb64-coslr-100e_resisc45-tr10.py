# As finetune_gersp-r50_1xb64-coslr-100e_resisc45-tr20.py,
# with the paper's other NWPU-RESISC45 split: 1:9 (per class 10 % train /
# 90 % test, seed 0), from
#   python tools/dataset_converters/scene_cls_split.py data/resisc45/images \
#       --train-ratio 0.1 --seed 0 --out-dir data/resisc45/meta/tr10-seed0
_base_ = ['./finetune_gersp-r50_1xb64-coslr-100e_resisc45-tr20.py']

# The exported GeRSP backbone (tools/model_converters/export_backbone.py).
checkpoint = 'work_dirs/gersp_r50.pth'

model = dict(
    backbone=dict(
        frozen_stages=-1,  # fully trainable, as in the paper
        norm_eval=False,
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
