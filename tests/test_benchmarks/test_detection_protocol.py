"""Every horizontal-box detector config follows the paper's protocol.

The paper (GERSP_SPEC.md) runs Faster R-CNN, RetinaNet and ATSS + DyHead on
DIOR and on DOTA-v1.0 horizontal boxes with one protocol: 800 px, 24 epochs
(lr steps 16, 22), SGD lr 0.001 for a batch of 4, NMS IoU 0.3, mAP@0.5.
Training and evaluation of each config on the shared samples is in
``test_benchmark_configs.py``; here the protocol is read from the configs.
"""
import glob
import os.path as osp

import pytest

from tests.conftest import REPO

MMDET = osp.join(REPO, 'configs', 'benchmarks', 'mmdet')
# (detector, dataset) -> config: one per cell of the paper's tables
COLUMNS = {
    ('faster-rcnn', 'dior'): 'faster-rcnn_gersp-r50_fpn_4xb1-24e_dior.py',
    ('retinanet', 'dior'): 'retinanet_gersp-r50_fpn_4xb1-24e_dior.py',
    ('atss-dyhead', 'dior'): 'atss-dyhead_gersp-r50_fpn_4xb1-24e_dior.py',
    ('faster-rcnn', 'dota-hbb'):
    'faster-rcnn_gersp-r50_fpn_4xb1-24e_dota-hbb-800.py',
    ('retinanet', 'dota-hbb'):
    'retinanet_gersp-r50_fpn_4xb1-24e_dota-hbb-800.py',
    ('atss-dyhead', 'dota-hbb'):
    'atss-dyhead_gersp-r50_fpn_4xb1-24e_dota-hbb-800.py',
}
NUM_CLASSES = {'dior': 20, 'dota-hbb': 15}


def test_every_detector_column_has_a_config():
    # the ResNet-50 configs are the paper's columns; Swin-T/ConvNeXt-T
    # configs follow the same protocol for other backbones
    on_disk = {osp.basename(p)
               for p in glob.glob(osp.join(MMDET, '*_gersp-r50_*.py'))}
    assert on_disk == set(COLUMNS.values())


def _nms_and_classes(model):
    """(NMS IoU, number of classes) wherever the detector keeps them."""
    if 'roi_head' in model:
        return (model.test_cfg.rcnn.nms.iou_threshold,
                model.roi_head.bbox_head.num_classes)
    return model.test_cfg.nms.iou_threshold, model.bbox_head.num_classes


def _resize_scales(pipeline):
    return [t.scale for t in pipeline if t.type == 'Resize']


@pytest.mark.parametrize('column', sorted(COLUMNS))
def test_paper_protocol(column):
    from mmengine.config import Config
    detector, dataset = column
    cfg = Config.fromfile(osp.join(MMDET, COLUMNS[column]))

    assert _nms_and_classes(cfg.model) == (0.3, NUM_CLASSES[dataset])
    assert cfg.train_cfg.max_epochs == 24
    (step, ) = [s for s in cfg.param_scheduler if s.type == 'MultiStepLR']
    assert step.milestones == [16, 22] and step.by_epoch
    assert cfg.optim_wrapper.optimizer.lr == 0.001
    assert cfg.optim_wrapper.optimizer.type == 'SGD'
    assert cfg.auto_scale_lr.base_batch_size == 4  # 4 GPUs x 1 image
    assert cfg.train_dataloader.batch_size == 1
    assert cfg.val_evaluator.type == 'VOCMetric'
    assert cfg.val_evaluator.iou_thrs == 0.5
    loaders = [cfg.train_dataloader.dataset, cfg.val_dataloader.dataset]
    if loaders[0].type == 'ConcatDataset':  # DIOR: train + val lists
        loaders[:1] = loaders[0].datasets
    for ds in loaders:
        assert _resize_scales(ds.pipeline) == [(800, 800)]

    bb = cfg.model.backbone
    assert (bb.depth, bb.frozen_stages, bb.norm_eval) == (50, -1, False)
    assert bb.init_cfg == dict(type='Pretrained', checkpoint=cfg.checkpoint,
                               prefix='backbone.')
    # only DIOR reads data through an mmgersp module
    imports = cfg.custom_imports.imports
    assert ('mmgersp.datasets.dior' in imports) == (dataset == 'dior')
    assert 'mmgersp' not in imports

    if detector == 'atss-dyhead':
        assert cfg.model.type == 'ATSS'
        fpn, dyhead = cfg.model.neck
        assert (fpn.type, dyhead.type, dyhead.num_blocks) == (
            'FPN', 'DyHead', 6)
        assert cfg.model.bbox_head.type == 'ATSSHead'
        assert cfg.model.bbox_head.loss_bbox == dict(type='GIoULoss',
                                                     loss_weight=2.0)
    else:
        expected = {'faster-rcnn': 'FasterRCNN', 'retinanet': 'RetinaNet'}
        assert cfg.model.type == expected[detector]


def test_atss_dyhead_is_mmdets_model():
    """The ATSS + DyHead base is mmdet's own R50 DyHead model, unchanged
    but for the backbone weights (set by each downstream config)."""
    from mmengine.config import Config
    from mmengine.utils import get_installed_path
    mmdet_cfg = Config.fromfile(osp.join(
        get_installed_path('mmdet'), '.mim', 'configs', 'dyhead',
        'atss_r50_fpn_dyhead_1x_coco.py'))
    ours = Config.fromfile(osp.join(MMDET, '_base_', 'models',
                                    'atss-dyhead_r50_fpn.py'))
    expected = mmdet_cfg.model.to_dict()
    expected['backbone'].pop('init_cfg')
    assert ours.model.to_dict() == expected
