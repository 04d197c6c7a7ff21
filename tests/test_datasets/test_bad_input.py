"""Bad input: broken and odd images, wrong labels, missing roots."""
import glob
import os
import os.path as osp
import uuid

import numpy as np
import pytest
from mmengine.runner import Runner
from PIL import Image

from mmgersp.datasets import DualStreamDataset, RSImageFolder
from mmgersp.utils import set_data_roots
from tests.conftest import tiny_gersp_cfg


def rs_pipeline(size=32):
    view = [dict(type='RandomResizedCrop', scale=size, backend='pillow')]
    return [dict(type='LoadImageFromFile'),
            dict(type='MultiView', num_views=2, transforms=[view]),
            dict(type='PackInputs', meta_keys=['img_path'])]


def link_good_images(aid_root, dst, n):
    paths = sorted(glob.glob(osp.join(aid_root, '*', '*.jpg')))[:n]
    for p in paths:
        os.symlink(p, osp.join(dst, osp.basename(p)))


def write_broken_images(aid_root, dst):
    """A non-image with .jpg suffix, a truncated PNG and a truncated JPEG."""
    (dst / 'random_bytes.jpg').write_bytes(os.urandom(3000))
    src = sorted(glob.glob(osp.join(aid_root, '*', '*.jpg')))[0]
    Image.open(src).save(dst / 'full.png')
    data = (dst / 'full.png').read_bytes()
    (dst / 'truncated.png').write_bytes(data[:len(data) // 3])
    os.remove(dst / 'full.png')
    jpg = open(src, 'rb').read()
    (dst / 'truncated.jpg').write_bytes(jpg[:len(jpg) // 2])


def test_corrupt_images_are_skipped_counted_logged_and_run_goes_on(
        aid_root, cifar_train_root, tmp_path):
    rs = tmp_path / 'rs'
    rs.mkdir()
    link_good_images(aid_root, rs, 8)
    write_broken_images(aid_root, rs)
    cfg = tiny_gersp_cfg(aid_root, cifar_train_root, str(tmp_path / 'w'),
                         max_iters=6)
    set_data_roots(cfg, rs_root=str(rs))
    cfg.experiment_name = f'bad_rs_{uuid.uuid4().hex}'  # a fresh logger
    runner = Runner.from_cfg(cfg)
    runner.train()  # 6 iterations x 4 RS draws over 11 files: all are hit
    assert runner.iter == 6
    bad = runner.train_dataloader.dataset.datasets[0].bad_images
    names = {osp.basename(p) for p in bad}
    # undecodable and truncated files are skipped (OpenCV 5 rejects
    # truncated JPEG and PNG data); each skipped draw is counted
    assert names == {'random_bytes.jpg', 'truncated.png', 'truncated.jpg'}
    log = open(glob.glob(osp.join(runner.log_dir, '*.log'))[0]).read()
    assert 'skipped unreadable image' in log and 'random_bytes.jpg' in log


def test_too_many_bad_images_is_an_error_naming_the_file(aid_root, tmp_path):
    write_broken_images(aid_root, tmp_path)
    ds = RSImageFolder(data_root=str(tmp_path), pipeline=rs_pipeline(),
                       max_bad_images=0)
    index = [i for i in range(len(ds)) if 'random_bytes' in
             ds.get_data_info(i)['img_path']][0]
    with pytest.raises(RuntimeError, match='random_bytes.jpg'):
        ds[index]


def test_grayscale_rgba_16bit_and_tiny_images(tmp_path):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (40, 50), np.uint8), 'L').save(
        tmp_path / 'gray.png')
    Image.fromarray(rng.integers(0, 255, (40, 50, 4), np.uint8),
                    'RGBA').save(tmp_path / 'rgba.png')
    Image.fromarray(rng.integers(0, 65535, (40, 50), np.uint16)).save(
        tmp_path / 'sixteen.png')
    Image.fromarray(rng.integers(0, 255, (3, 2, 3), np.uint8)).save(
        tmp_path / 'tiny.png')
    ds = RSImageFolder(data_root=str(tmp_path), pipeline=rs_pipeline(32),
                       max_bad_images=0)
    assert len(ds) == 4
    for i in range(len(ds)):
        views = ds[i]['inputs']
        # every image becomes two 3-channel uint8 views of the crop size
        assert [tuple(v.shape) for v in views] == [(3, 32, 32)] * 2
        assert all(str(v.dtype) == 'torch.uint8' for v in views)
    assert ds.bad_images == []


def test_out_of_range_label_fails_at_dataset_build(cifar_train_root,
                                                   aid_root, tmp_path):
    ann = tmp_path / 'train.txt'
    first = sorted(os.listdir(osp.join(cifar_train_root, 'cat')))[:2]
    ann.write_text(f'cat/{first[0]} 3\ncat/{first[1]} 12\n')
    with pytest.raises(ValueError, match=r'label 12, outside \[0, 10\)'):
        DualStreamDataset(
            num_classes=10,
            datasets=[
                dict(type='RSImageFolder', data_root=aid_root),
                dict(type='CustomDataset', data_root=cifar_train_root,
                     ann_file=str(ann)),
            ])


def test_missing_roots_name_the_path(aid_root, cifar_train_root, tmp_path):
    cfg = tiny_gersp_cfg(aid_root, cifar_train_root, str(tmp_path))
    with pytest.raises(FileNotFoundError, match='no-such-natural'):
        set_data_roots(cfg, natural_root=str(tmp_path / 'no-such-natural'))
    (tmp_path / 'flat').mkdir()
    with pytest.raises(FileNotFoundError, match='no class sub-folders'):
        set_data_roots(cfg, natural_root=str(tmp_path / 'flat'))
    set_data_roots(cfg, rs_root=str(tmp_path / 'no-such-rs'))
    with pytest.raises(FileNotFoundError, match='no-such-rs'):
        Runner.from_cfg(cfg).train()


def test_bad_natural_images_and_undecodable_names_are_skipped_and_logged(
        aid_root, cifar_train_root, tmp_path, capfd):
    """One budget, one message for both streams; any file name is logged."""
    rs, nat = tmp_path / 'rs', tmp_path / 'nat'
    rs.mkdir()
    link_good_images(aid_root, rs, 4)
    # a file name that is not UTF-8 (e.g. copied from an old Latin-1 disk)
    with open(os.path.join(os.fsencode(rs), b'caf\xe9.jpg'), 'wb') as f:
        f.write(os.urandom(2000))
    for cls in ('cat', 'dog'):
        (nat / cls).mkdir(parents=True)
        for name in sorted(os.listdir(osp.join(cifar_train_root, cls)))[:2]:
            os.symlink(osp.join(cifar_train_root, cls, name),
                       nat / cls / name)
    (nat / 'dog' / 'broken.png').write_bytes(os.urandom(1500))
    cfg = tiny_gersp_cfg(aid_root, cifar_train_root, str(tmp_path / 'w'),
                         max_iters=4)
    set_data_roots(cfg, rs_root=str(rs), natural_root=str(nat))
    # mmengine reuses the logger of an earlier Runner of this process built
    # in the same second (same name), which writes to that runner's .log
    cfg.experiment_name = f'bad_nat_{uuid.uuid4().hex}'
    runner = Runner.from_cfg(cfg)
    runner.train()  # 4 iterations x 4 draws over 5 files per stream
    assert runner.iter == 4
    bad = runner.train_dataloader.dataset.datasets[0].bad_images
    assert {os.fsencode(osp.basename(p)) for p in bad} == {
        b'caf\xe9.jpg', b'broken.png'}
    log = open(glob.glob(osp.join(runner.log_dir, '*.log'))[0]).read()
    assert f'CustomDataset: skipped unreadable image {nat}/dog/broken.png' \
        in log
    assert f'RSImageFolder: skipped unreadable image {rs}/caf\\xe9.jpg' in log
    assert 'Logging error' not in capfd.readouterr().err


def test_natural_root_with_one_class_is_an_error(aid_root, cifar_train_root,
                                                 tmp_path):
    one = tmp_path / 'one'
    (one / 'cat').mkdir(parents=True)
    name = sorted(os.listdir(osp.join(cifar_train_root, 'cat')))[0]
    os.symlink(osp.join(cifar_train_root, 'cat', name), one / 'cat' / name)
    cfg = tiny_gersp_cfg(aid_root, cifar_train_root, str(tmp_path / 'w'))
    with pytest.raises(ValueError, match=r"has 1 class sub-folder; the "
                       'natural stream needs at least 2 classes'):
        set_data_roots(cfg, natural_root=str(one))
    # a config written by hand is stopped when the dataset is built
    cfg.train_dataloader.dataset.datasets[1].data_root = str(one)
    with pytest.raises(ValueError, match=r"has 1 class \(\['cat'\]\); the "
                       'natural stream needs at least 2'):
        Runner.from_cfg(cfg).train()
