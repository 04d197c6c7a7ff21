"""mmgersp.apis.recipe: the one definition of each recipe edit, exactly."""
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmgersp.apis.recipe import (ARCHS, batch_composition, crop_size,
                                 fit_heads_to_backbone, set_backbone,
                                 set_batch_composition, set_crop_size,
                                 set_max_iters)
from tests.conftest import DEMO_CONFIG, REPO

GERSP = osp.join(REPO, 'configs', 'gersp')
PAPER_CONFIG = osp.join(GERSP,
                        'gersp_resnet50_8xb32-coslr-100e_millionaid-in1k.py')
RS_ONLY = osp.join(GERSP, 'mocov2_resnet50_8xb32-coslr-100e_millionaid.py')
NATURAL_ONLY = osp.join(GERSP, 'supervised_resnet50_8xb32-coslr-100e_in1k.py')


def test_crop_size_of_a_nested_pipeline():
    inner = dict(type='RandomResizedCrop', scale=(96, 96))
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='RandomApply', transforms=[dict(type='Resize', scale=8),
                                             inner]),
        dict(type='LoadImageRandomResizedCrop', scale=128),
    ]
    assert crop_size(pipeline) == 96  # the first crop, found inside
    assert crop_size([dict(type='Resize', scale=32)]) is None
    set_crop_size(dict(pipeline=pipeline), 40)
    assert inner['scale'] == pipeline[2]['scale'] == 40
    assert pipeline[1]['transforms'][0]['scale'] == 8  # not a crop


def test_crop_size_of_the_configs():
    demo, paper = Config.fromfile(DEMO_CONFIG), Config.fromfile(PAPER_CONFIG)
    assert crop_size(demo.train_dataloader) == 64
    assert crop_size(paper.train_dataloader) == 224
    set_crop_size(paper.train_dataloader, 32)
    assert [crop_size(ds.pipeline)
            for ds in paper.train_dataloader.dataset.datasets] == [32, 32]


@pytest.mark.parametrize('config,before,after', [
    (DEMO_CONFIG, (16, 16, 32), (6, 2, 8)),
    (RS_ONLY, (32, 0, 32), (6, 0, 6)),
    (NATURAL_ONLY, (0, 32, 32), (0, 2, 2)),
], ids=['dual', 'rs', 'natural'])
def test_batch_composition(config, before, after):
    loader = Config.fromfile(config).train_dataloader
    assert batch_composition(loader) == before
    set_batch_composition(loader, 6, 2)
    assert batch_composition(loader) == after
    assert loader.batch_size == after[2]
    if loader.dataset.type == 'DualStreamDataset':
        assert (loader.sampler.n_rs, loader.sampler.n_nat) == (6, 2)


@pytest.mark.parametrize('arch,width', [('resnet18', 512),
                                        ('swin-tiny', 768),
                                        ('convnext-tiny', 768)])
def test_set_backbone_fits_the_heads(arch, width):
    model = Config.fromfile(PAPER_CONFIG).model
    assert set_backbone(model, arch) == width
    assert model.backbone.type == ARCHS[arch]['type']
    assert model.neck.in_channels == model.neck.hid_channels == width
    assert model.cls_head.in_channels == width
    assert model.neck.out_channels == 128  # the projection keeps its size


@pytest.mark.parametrize('arch', ['swin-tiny', 'convnext-tiny'])
def test_set_backbone_of_mmpretrain_moco(arch):
    """MoCo v2's neck takes one output: the last stage only, and it trains."""
    from mmpretrain.registry import MODELS
    model = Config.fromfile(RS_ONLY).model
    assert set_backbone(model, arch) == 768
    assert model.backbone.out_indices == (3, )
    # Swin returns a map (the neck pools it), ConvNeXt a pooled vector
    assert model.neck.with_avg_pool == (arch == 'swin-tiny')
    torch.manual_seed(0)
    moco = MODELS.build(model)
    images = torch.rand(2, 3, 32, 32) * 255
    losses = moco.loss([images, images.flip(3)], [None, None])
    assert torch.isfinite(losses['loss'])


def test_set_backbone_keeps_the_recipe_settings():
    model = Config.fromfile(DEMO_CONFIG).model
    model.backbone.update(in_channels=13, norm_cfg=dict(type='GN',
                                                        num_groups=8))
    assert set_backbone(model, 'resnet50') == 2048
    assert model.backbone.depth == 50 and model.backbone.in_channels == 13
    assert model.backbone.norm_cfg == dict(type='GN', num_groups=8)
    set_backbone(model, 'convnext-tiny')  # another type: bands only
    assert model.backbone == dict(ARCHS['convnext-tiny'], in_channels=13)


def test_fit_heads_of_a_classifier():
    model = Config.fromfile(NATURAL_ONLY).model
    model.backbone.depth = 34
    assert fit_heads_to_backbone(model) == 512
    assert model.head.in_channels == 512


def test_set_backbone_names_the_flag():
    model = Config.fromfile(DEMO_CONFIG).model
    with pytest.raises(ValueError, match=r"--arch 'resnet101': choose one "
                       r"of \['convnext-tiny', 'resnet18', "):
        set_backbone(model, 'resnet101')
    assert model.backbone.depth == 18  # untouched


def test_set_max_iters_of_an_iteration_based_config():
    cfg = set_max_iters(Config.fromfile(DEMO_CONFIG), 7)
    assert cfg.train_cfg == dict(type='IterBasedTrainLoop', max_iters=7)
    assert [s.end for s in cfg.param_scheduler] == [7]
    assert cfg.default_hooks.checkpoint.interval == 7  # was 20
    cfg = set_max_iters(Config.fromfile(DEMO_CONFIG), 50)
    assert cfg.default_hooks.checkpoint.interval == 20


def test_set_max_iters_of_an_epoch_based_config_anneals_to_eta_min():
    from mmengine.optim.scheduler import CosineAnnealingLR
    cfg = set_max_iters(Config.fromfile(PAPER_CONFIG), 10)
    assert cfg.train_cfg == dict(type='IterBasedTrainLoop', max_iters=10)
    assert cfg.param_scheduler == [dict(type='CosineAnnealingLR',
                                        eta_min=0.001, by_epoch=False,
                                        begin=0, end=10)]
    ckpt = cfg.default_hooks.checkpoint
    assert (ckpt.by_epoch, ckpt.interval) == (False, 10)
    assert cfg.log_processor == dict(window_size=1, by_epoch=False)
    # the lr of the 10 iterations: one cosine from the recipe's 0.007
    # towards its minimum 0.001
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)],
                          lr=cfg.optim_wrapper.optimizer.lr)
    kwargs = {k: v for k, v in cfg.param_scheduler[0].items() if k != 'type'}
    scheduler = CosineAnnealingLR(opt, **kwargs)
    lrs = []
    for _ in range(10):
        lrs.append(opt.param_groups[0]['lr'])
        opt.step()
        scheduler.step()
    assert lrs == pytest.approx(
        [0.001 + 0.003 * (1 + math.cos(math.pi * i / 10)) for i in range(10)])


@pytest.mark.parametrize('value', [0, -3, 2.5, True])
def test_set_max_iters_refuses_non_positive_naming_the_flag(value):
    with pytest.raises(ValueError, match='--max-iters must be an integer '):
        set_max_iters(Config.fromfile(DEMO_CONFIG), value)
