"""tools/dataset_converters/* on the shared samples (AID, DOTA, DIOR,
LoveDA); bad inputs fail before anything is written."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from PIL import Image

from tests.conftest import load_tool, shared_path


def read_lines(path):
    with open(path) as f:
        return [line.rstrip('\n') for line in f]


# ------------------------------------------------------------- scene split
def test_scene_split_is_stratified_deterministic_and_loads(aid_root,
                                                           tmp_path):
    tool = load_tool('dataset_converters/scene_cls_split.py')
    a, b, c = (str(tmp_path / n) for n in 'abc')
    assert tool.main([aid_root, '--train-ratio', '0.8', '--out-dir', a]) == 0
    assert tool.main([aid_root, '--train-ratio', '0.8', '--out-dir', b]) == 0
    assert tool.main([aid_root, '--train-ratio', '0.8', '--seed', '1',
                      '--out-dir', c]) == 0
    for name in ('classes.txt', 'train.txt', 'test.txt'):
        assert read_lines(osp.join(a, name)) == read_lines(osp.join(b, name))
    assert read_lines(osp.join(a, 'train.txt')) != read_lines(
        osp.join(c, 'train.txt'))

    classes = read_lines(osp.join(a, 'classes.txt'))
    assert classes == sorted(os.listdir(aid_root)) and len(classes) == 30
    train = [line.rsplit(' ', 1) for line in read_lines(osp.join(a,
                                                                 'train.txt'))]
    test = [line.rsplit(' ', 1) for line in read_lines(osp.join(a,
                                                                'test.txt'))]
    assert len(train) == 30 * 16 and len(test) == 30 * 4  # 8:2 of 20 each
    assert not {p for p, _ in train} & {p for p, _ in test}
    for path, label in train + test:
        assert classes[int(label)] == path.split('/')[0]
        assert osp.isfile(osp.join(aid_root, path))

    from mmpretrain.datasets import CustomDataset
    ds = CustomDataset(
        data_root=aid_root, ann_file=osp.join(a, 'train.txt'),
        classes=osp.join(a, 'classes.txt'), pipeline=[])
    assert len(ds) == 480 and ds.CLASSES == tuple(classes)
    first = ds.get_data_info(0)
    assert first['gt_label'] == classes.index(
        osp.relpath(first['img_path'], aid_root).split('/')[0])


def test_scene_split_ratio_1_9(aid_root, tmp_path):
    tool = load_tool('dataset_converters/scene_cls_split.py')
    assert tool.main([aid_root, '--train-ratio', '0.1', '--out-dir',
                      str(tmp_path)]) == 0
    assert len(read_lines(tmp_path / 'train.txt')) == 30 * 2
    assert len(read_lines(tmp_path / 'test.txt')) == 30 * 18


def test_scene_split_validates_input(aid_root, tmp_path):
    tool = load_tool('dataset_converters/scene_cls_split.py')
    out = str(tmp_path / 'out')
    with pytest.raises(ValueError, match='train-ratio'):
        tool.main([aid_root, '--train-ratio', '1.5', '--out-dir', out])
    with pytest.raises(FileNotFoundError, match='does not exist'):
        tool.main([str(tmp_path / 'nope'), '--train-ratio', '0.5',
                   '--out-dir', out])
    flat = tmp_path / 'flat'
    flat.mkdir()
    with pytest.raises(ValueError, match='no class sub-folders'):
        tool.main([str(flat), '--train-ratio', '0.5', '--out-dir', out])
    tiny = tmp_path / 'tiny'
    for cls, n in (('a', 2), ('b', 1)):
        (tiny / cls).mkdir(parents=True)
        for i in range(n):
            os.symlink(osp.join(aid_root, 'Airport', 'airport_1.jpg'),
                       tiny / cls / f'{i}.jpg')
    with pytest.raises(ValueError, match=r"fewer than 2 images.*\['b'\]"):
        tool.main([str(tiny), '--train-ratio', '0.5', '--out-dir', out])
    assert not osp.exists(out)


# -------------------------------------------------------------- DOTA split
@pytest.fixture
def dota_two(tmp_path):
    """P0075 (451x839) and P1888 (712x557), linked from the shared DOTA."""
    img, ann = tmp_path / 'images', tmp_path / 'labelTxt'
    img.mkdir()
    ann.mkdir()
    for name in ('P0075', 'P1888'):
        os.symlink(shared_path('dota', 'images', f'{name}.png'),
                   img / f'{name}.png')
        os.symlink(shared_path('dota', 'labelTxt', f'{name}.txt'),
                   ann / f'{name}.txt')
    return str(img), str(ann)


def test_dota_split_hbb_800(dota_two, tmp_path):
    img, ann = dota_two
    out = tmp_path / 'split' / 'train'
    tool = load_tool('dataset_converters/dota_split.py')
    assert tool.main(['--protocol', 'hbb-800', '--img-dirs', img,
                      '--ann-dirs', ann, '--out-dir', str(out),
                      '--nproc', '1']) == 0
    # P0075 is 839 high: two windows (y = 0 and 839 - 800 = 39), P1888 one
    crops = sorted(os.listdir(out / 'images'))
    assert crops == ['P0075__800__0___0.png', 'P0075__800__0___39.png',
                     'P1888__800__0___0.png']
    for c in crops:
        assert Image.open(out / 'images' / c).size == (800, 800)  # padded
    lines = read_lines(out / 'annfiles' / 'P0075__800__0___39.txt')
    # the roundabout (y 270..526 in the image) moves up by 39 px
    assert '119.0 231.0 340.0 231.0 340.0 487.0 119.0 487.0 roundabout 0' \
        in lines


def test_dota_split_obb_1024_reads_in_mmrotate(dota_two, tmp_path):
    img, ann = dota_two
    out = tmp_path / 'split_ss_dota' / 'trainval'
    tool = load_tool('dataset_converters/dota_split.py')
    assert tool.main(['--protocol', 'obb-1024', '--img-dirs', img,
                      '--ann-dirs', ann, '--out-dir', str(out),
                      '--nproc', '2']) == 0
    assert sorted(os.listdir(out / 'images')) == [
        'P0075__1024__0___0.png', 'P1888__1024__0___0.png'
    ]
    import mmrotate.datasets  # noqa: F401
    from mmrotate.datasets import DOTADataset
    ds = DOTADataset(data_root=str(out.parent),
                     ann_file='trainval/annfiles/',
                     data_prefix=dict(img_path='trainval/images/'),
                     pipeline=[])
    n_objects = sum(len(ds.get_data_info(i)['instances'])
                    for i in range(len(ds)))
    assert len(ds) == 2 and n_objects == 2 + 64  # every object kept


def test_dota_split_validates_before_writing(dota_two, tmp_path):
    img, ann = dota_two
    tool = load_tool('dataset_converters/dota_split.py')
    out = str(tmp_path / 'out')
    bad = tmp_path / 'bad_labels'
    shutil.copytree(ann, bad)
    os.remove(bad / 'P1888.txt')
    shutil.copy(osp.join(ann, 'P1888.txt'), bad / 'P1888.txt')
    with open(bad / 'P1888.txt', 'a') as f:
        f.write('1 1 5 1 5 5 1 5 container-crane 0\n')
    with pytest.raises(ValueError, match='container-crane'):
        tool.main(['--protocol', 'hbb-800', '--img-dirs', img, '--ann-dirs',
                   str(bad), '--out-dir', out])
    os.remove(bad / 'P1888.txt')
    with pytest.raises(FileNotFoundError, match='no label file'):
        tool.main(['--protocol', 'hbb-800', '--img-dirs', img, '--ann-dirs',
                   str(bad), '--out-dir', out])
    with pytest.raises(FileNotFoundError, match='does not exist'):
        tool.main(['--protocol', 'hbb-800', '--img-dirs',
                   str(tmp_path / 'nope'), '--out-dir', out])
    assert not osp.exists(out)
    os.makedirs(osp.join(out, 'images'))
    with pytest.raises(FileExistsError, match='not empty'):
        tool.main(['--protocol', 'hbb-800', '--img-dirs', img, '--ann-dirs',
                   ann, '--out-dir', out])


# -------------------------------------------------------------- DIOR check
def test_dior_check_passes_on_the_sample(capsys):
    tool = load_tool('dataset_converters/dior.py')
    assert tool.main([shared_path('dior'), '--splits', 'test',
                      '--img-subdir', 'JPEGImages']) == 0
    out = capsys.readouterr().out
    assert '1 images, 1 boxes' in out and 'OK' in out
    assert 'golffield                 1' in out


def test_dior_check_reports_every_problem(tmp_path, capsys):
    src = shared_path('dior')
    root = tmp_path / 'DIOR'
    ann = root / 'Annotations' / 'Horizontal Bounding Boxes'
    ann.mkdir(parents=True)
    (root / 'ImageSets' / 'Main').mkdir(parents=True)
    os.symlink(osp.join(src, 'JPEGImages'), root / 'JPEGImages-test')
    xml = open(osp.join(src, 'Annotations', 'Horizontal Bounding Boxes',
                        '00001.xml')).read()
    (ann / '00001.xml').write_text(
        xml.replace('<name>golffield</name>', '<name>golf-course</name>'))
    (ann / '00002.xml').write_text('<annotation><object>')
    (root / 'ImageSets' / 'Main' / 'test.txt').write_text(
        '00001\n00002\n00003\n')
    tool = load_tool('dataset_converters/dior.py')
    assert tool.main([str(root), '--splits', 'test', 'train']) == 1
    out = capsys.readouterr().out
    assert "unknown class 'golf-course'" in out
    assert 'missing image' in out and '00002.jpg' in out
    assert 'unreadable' in out and '00002.xml' in out
    assert 'missing annotation' in out and '00003.xml' in out
    assert 'train.txt does not exist' in out


# ------------------------------------------------------------ LoveDA check
def test_loveda_check_passes_on_the_sample(capsys):
    tool = load_tool('dataset_converters/loveda.py')
    assert tool.main([shared_path('loveda'), '--splits', 'train']) == 0
    assert 'train: 3 images, 3 masks' in capsys.readouterr().out


def test_loveda_check_reports_bad_masks(tmp_path, capsys):
    src = shared_path('loveda')
    for sub in ('img_dir/train', 'ann_dir/train'):
        (tmp_path / sub).mkdir(parents=True)
    for i in (0, 1, 2):
        os.symlink(osp.join(src, 'img_dir', 'train', f'{i}.png'),
                   tmp_path / 'img_dir' / 'train' / f'{i}.png')
    mask = np.asarray(Image.open(osp.join(src, 'ann_dir', 'train', '0.png')))
    Image.fromarray(np.where(mask == 7, 9, mask).astype(np.uint8)).save(
        tmp_path / 'ann_dir' / 'train' / '0.png')
    Image.fromarray(mask[:512]).save(tmp_path / 'ann_dir' / 'train' / '1.png')
    tool = load_tool('dataset_converters/loveda.py')
    assert tool.main([str(tmp_path), '--splits', 'train']) == 1
    out = capsys.readouterr().out
    assert 'value 9 outside 0..7' in out
    assert 'size (1024, 512) != image (1024, 1024)' in out
    assert 'image without mask' in out and '2.png' in out


def test_loveda_refuses_incomplete_zips(tmp_path, capsys):
    (tmp_path / 'Train.zip').write_bytes(b'')
    tool = load_tool('dataset_converters/loveda.py')
    assert tool.main([str(tmp_path)]) == 1
    assert 'Val.zip' in capsys.readouterr().out
