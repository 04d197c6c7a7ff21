"""RSImageFolder and dual_stream_collate on real images."""
import os
import os.path as osp
import shutil

import pytest
import torch

from mmgersp.datasets import RSImageFolder, dual_stream_collate

PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[[
        dict(type='RandomResizedCrop', scale=32, backend='pillow'),
    ]]),
    dict(type='PackInputs', meta_keys=['img_path']),
]


def test_reads_any_depth_without_labels(aid_root):
    ds = RSImageFolder(data_root=aid_root, pipeline=PIPELINE)
    assert len(ds) == 600  # 30 classes x 20 images, class folders ignored
    sample = ds[0]
    assert len(sample['inputs']) == 2
    assert sample['inputs'][0].shape == (3, 32, 32)
    assert 'gt_label' not in sample['data_samples']


def test_nested_tree_and_file_list(aid_root, tmp_path):
    deep = tmp_path / 'a' / 'b' / 'c'
    deep.mkdir(parents=True)
    src = osp.join(aid_root, 'Airport', sorted(os.listdir(
        osp.join(aid_root, 'Airport')))[0])
    shutil.copy(src, deep / 'x.jpg')
    shutil.copy(src, tmp_path / 'y.JPG')
    (tmp_path / 'notes.txt').write_text('not an image')
    ds = RSImageFolder(data_root=str(tmp_path), pipeline=PIPELINE)
    assert sorted(osp.relpath(ds.get_data_info(i)['img_path'], tmp_path)
                  for i in range(len(ds))) == ['a/b/c/x.jpg', 'y.JPG']
    (tmp_path / 'list.txt').write_text('a/b/c/x.jpg\n')
    ds = RSImageFolder(data_root=str(tmp_path), ann_file='list.txt',
                       pipeline=PIPELINE)
    assert len(ds) == 1


def test_missing_or_empty_root_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match='does-not-exist'):
        RSImageFolder(data_root=str(tmp_path / 'does-not-exist'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='empty'):
        RSImageFolder(data_root=str(tmp_path / 'empty'))


def test_collate_keeps_streams_apart(aid_root, cifar_train_root):
    from mmpretrain.datasets import CustomDataset
    rs = RSImageFolder(data_root=aid_root, pipeline=PIPELINE)
    nat = CustomDataset(data_root=cifar_train_root, pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='RandomResizedCrop', scale=32, backend='pillow'),
        dict(type='PackInputs'),
    ])
    batch = dual_stream_collate([rs[0], rs[1], rs[2], nat[0], nat[500]])
    v1, v2 = batch['inputs']['rs']
    assert v1.shape == v2.shape == (3, 3, 32, 32) and v1.dtype == torch.uint8
    assert batch['inputs']['nat'].shape == (2, 3, 32, 32)
    labels = [int(s.gt_label) for s in batch['data_samples']['nat']]
    assert labels == [nat[0]['data_samples'].gt_label.item(),
                      nat[500]['data_samples'].gt_label.item()]
    assert len(batch['data_samples']['rs']) == 3
    with pytest.raises(ValueError, match='0 natural'):
        dual_stream_collate([rs[0], rs[1]])
