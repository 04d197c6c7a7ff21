"""DIORDataset (mmdet, horizontal boxes) on the shared DIOR sample."""
import os
import os.path as osp
import shutil

import pytest

from tests.conftest import shared_path


@pytest.fixture(scope='module')
def mmdet_dior():
    """The dataset class and mmdet's registry, in mmdet's scope."""
    from mmengine.registry import DefaultScope
    import mmgersp.datasets.dior as dior
    from mmdet.registry import DATASETS
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield dior, DATASETS


def dior_copy(tmp_path, xml_edit=None, ids=('00001', )):
    """A DIOR tree in tmp_path: the shared image linked, XML (maybe edited)
    copied, and an image list of ``ids``."""
    src = shared_path('dior')
    root = tmp_path / 'DIOR'
    ann = root / 'Annotations' / 'Horizontal Bounding Boxes'
    ann.mkdir(parents=True)
    (root / 'ImageSets' / 'Main').mkdir(parents=True)
    os.symlink(osp.join(src, 'JPEGImages'), root / 'JPEGImages')
    xml = open(osp.join(src, 'Annotations', 'Horizontal Bounding Boxes',
                        '00001.xml')).read()
    (ann / '00001.xml').write_text(xml_edit(xml) if xml_edit else xml)
    (root / 'ImageSets' / 'Main' / 'test.txt').write_text(
        '\n'.join(ids) + '\n\n')
    return str(root)


def build(DATASETS, root, **kwargs):
    cfg = dict(
        type='DIORDataset',
        data_root=root,
        ann_file='ImageSets/Main/test.txt',
        img_subdir='JPEGImages',
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations', with_bbox=True),
            dict(type='PackDetInputs')
        ])
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_reads_the_shared_sample_through_mmdet_registry(mmdet_dior):
    dior, DATASETS = mmdet_dior
    ds = build(DATASETS, shared_path('dior'))
    assert isinstance(ds, dior.DIORDataset)
    assert len(ds) == 1 and len(ds.metainfo['classes']) == 20
    info = ds.get_data_info(0)
    assert (info['width'], info['height']) == (800, 800)
    assert info['instances'] == [
        dict(bbox=[133.0, 237.0, 684.0, 672.0], bbox_label=9, ignore_flag=0)
    ]
    assert ds.metainfo['classes'][9] == 'golffield'
    sample = ds[0]
    assert tuple(sample['inputs'].shape) == (3, 800, 800)
    gt = sample['data_samples'].gt_instances
    assert gt.labels.tolist() == [9]
    assert gt.bboxes.tensor.tolist() == [[133.0, 237.0, 684.0, 672.0]]


def test_minus_one_is_opt_in(mmdet_dior):
    _, DATASETS = mmdet_dior
    ds = build(DATASETS, shared_path('dior'), minus_one=True)
    assert ds.get_data_info(0)['instances'][0]['bbox'] == [
        132.0, 236.0, 683.0, 671.0
    ]


@pytest.mark.parametrize('name,label', [('Expressway-Service-area', 7),
                                        ('Expressway-toll-station', 8),
                                        ('GolfField', 9), (' vehicle ', 18)])
def test_class_names_match_case_insensitively(mmdet_dior, tmp_path, name,
                                              label):
    _, DATASETS = mmdet_dior
    root = dior_copy(
        tmp_path, lambda x: x.replace('<name>golffield</name>',
                                      f'<name>{name}</name>'))
    ds = build(DATASETS, root)
    assert ds.get_data_info(0)['instances'][0]['bbox_label'] == label


def test_difficult_boxes_are_ignored_not_dropped(mmdet_dior, tmp_path):
    _, DATASETS = mmdet_dior
    root = dior_copy(
        tmp_path, lambda x: x.replace('<difficult>0</difficult>',
                                      '<difficult>1</difficult>'))
    inst = build(DATASETS, root).get_data_info(0)['instances']
    assert len(inst) == 1 and inst[0]['ignore_flag'] == 1


def test_unknown_class_is_an_error_naming_the_file(mmdet_dior, tmp_path):
    _, DATASETS = mmdet_dior
    root = dior_copy(
        tmp_path, lambda x: x.replace('<name>golffield</name>',
                                      '<name>golf-course</name>'))
    with pytest.raises(KeyError, match="golf-course.*00001.jpg"):
        build(DATASETS, root)


def test_missing_files_fail_early_with_the_layout(mmdet_dior, tmp_path):
    _, DATASETS = mmdet_dior
    root = dior_copy(tmp_path, ids=('00001', '00002'))
    with pytest.raises(FileNotFoundError, match='00002.xml'):
        build(DATASETS, root)
    with pytest.raises(FileNotFoundError, match="ann_subdir='Annotations'"):
        build(DATASETS, root, ann_subdir='Annotations/HBB')
    with pytest.raises(FileNotFoundError, match='ImageSets/Main'):
        build(DATASETS, root, ann_file='ImageSets/Main/trainval.txt')


def test_oriented_xml_folder_is_refused(mmdet_dior, tmp_path):
    _, DATASETS = mmdet_dior
    root = dior_copy(tmp_path)
    obb = osp.join(root, 'Annotations', 'Oriented Bounding Boxes')
    os.makedirs(obb)
    shutil.copy(
        osp.join(shared_path('dior'), 'Annotations',
                 'Oriented Bounding Boxes', '00001.xml'), obb)
    with pytest.raises(ValueError, match='bndbox'):
        build(DATASETS, root, ann_subdir='Annotations/Oriented Bounding Boxes')
